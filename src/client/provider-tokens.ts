/**
 * Where the client provider keeps tokens: under (authorization server issuer, MCP server, client
 * id), with a session record per (document, MCP server) that remembers the binding for the next
 * run, so tokens are found before discovery has run again and are never sent to another server.
 *
 * @module
 */
import { SignInError } from './errors.js';
import type { OAuthTokensLike } from './oauth-types.js';
import { sameServer } from './provider-checks.js';
import { readSession, readTokens } from './stored-records.js';
import { registrationKey, sessionKey, type TokenStore, tokensKey } from './token-store.js';

/** The binding of tokens as far as it is known now. */
export interface TokenBinding {
  /** The document URL (the session record's key). */
  clientMetadataUrl: string;
  /** The MCP server as a resource. */
  resource: string;
  /** The validated issuer of the current authorization server, when known. */
  issuer: string | undefined;
  /** The client id used with it, when chosen. */
  clientId: string | undefined;
}

/** The store key of the tokens for `binding`, completed from the session record; undefined when unknown. */
export async function findTokensKey(store: TokenStore, binding: TokenBinding): Promise<string | undefined> {
  let { issuer, clientId } = binding;
  if (issuer === undefined || clientId === undefined) {
    const session = readSession(await store.get(sessionKey(binding.clientMetadataUrl, binding.resource)));
    if (session !== undefined && (issuer === undefined || sameServer(issuer, session.issuer))) {
      issuer ??= session.issuer;
      if (clientId === undefined && sameServer(issuer, session.issuer)) clientId = session.clientId;
    }
  }
  if (issuer === undefined || clientId === undefined) return undefined;
  return tokensKey({ issuer, resource: binding.resource, clientId });
}

/** The tokens stored for `binding`, if any. */
export async function loadTokens(
  store: TokenStore,
  binding: TokenBinding,
): Promise<OAuthTokensLike | undefined> {
  const key = await findTokensKey(store, binding);
  return key === undefined ? undefined : readTokens(await store.get(key));
}

/**
 * Stores `tokens` (stamped with the issuer) for `binding` and remembers the binding.
 *
 * @throws SignInError `ERR_SIGNIN_FAILED` when the issuer or the client id is not known yet.
 */
export async function saveTokensFor(
  store: TokenStore,
  binding: TokenBinding,
  tokens: OAuthTokensLike,
): Promise<void> {
  const { issuer, clientId, resource, clientMetadataUrl } = binding;
  if (issuer === undefined || clientId === undefined) {
    throw new SignInError(
      'ERR_SIGNIN_FAILED',
      'tokens arrived before the client and its authorization server were known.',
    );
  }
  await store.set(tokensKey({ issuer, resource, clientId }), { ...tokens, issuer });
  await store.set(sessionKey(clientMetadataUrl, resource), { issuer, clientId });
}

/** Deletes what `binding` stored: its tokens, its DCR registration (at its issuer), its session record. */
export async function forgetStored(
  store: TokenStore,
  binding: TokenBinding,
  what: { tokens: boolean; registration: boolean; session: boolean },
): Promise<void> {
  const key = what.tokens ? await findTokensKey(store, binding) : undefined;
  if (key !== undefined) await store.delete(key);
  if (what.registration && binding.issuer !== undefined) {
    await store.delete(registrationKey(binding.clientMetadataUrl, binding.issuer));
  }
  if (what.session) await store.delete(sessionKey(binding.clientMetadataUrl, binding.resource));
}
