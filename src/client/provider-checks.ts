/**
 * The checks the client provider applies before it signs in or uses what it stored: the signer
 * and pre-registered credentials against the document, the authorization server metadata's
 * `issuer` (RFC 8414 §3.3), the `resource` against the MCP server, and `offline_access` only where
 * the server lists it (SEP-2207).
 *
 * @module
 */

import { displayable } from './callback-params.js';
import type { AssertionSignerLike } from './client-auth.js';
import { signerAlgorithm } from './client-auth.js';
import type { ClientProfile } from './client-profile.js';
import { SignInError } from './errors.js';
import type { AuthorizationServerMetadataLike, DiscoveryStateLike } from './oauth-types.js';
import type { PreRegisteredClient } from './provider-options.js';

/** Two spellings of one server URL: with and without a trailing `/`. */
export function sameServer(a: string, b: string): boolean {
  const trim = (value: string) => value.replace(/\/$/, '');
  return trim(a) === trim(b);
}

/** The MCP server URL as a token binding key: parsed, without a fragment. */
export function resourceOf(serverUrl: string | URL): string {
  const url = new URL(String(serverUrl));
  url.hash = '';
  return url.href;
}

/** A document that says `private_key_jwt` needs a signer, and the signer's algorithm must be the document's. */
export function checkSigner(profile: ClientProfile, signer: AssertionSignerLike | undefined): void {
  if (profile.authMethod !== 'private_key_jwt') return;
  if (signer === undefined) {
    throw new SignInError(
      'ERR_SIGNIN_CLIENT_CONFIG',
      `the document of ${profile.clientMetadataUrl} says token_endpoint_auth_method "private_key_jwt"; pass its signing key (cimd connect --key <key set file>, or the signer option).`,
    );
  }
  const alg = signerAlgorithm(signer);
  if (profile.signingAlg !== undefined && alg !== undefined && alg !== profile.signingAlg) {
    throw new SignInError(
      'ERR_SIGNIN_CLIENT_CONFIG',
      `the signing key is ${alg} but the document says token_endpoint_auth_signing_alg ${profile.signingAlg}; use the key the document's JWKS publishes.`,
    );
  }
}

export function checkPreRegistered(
  pre: PreRegisteredClient | undefined,
  signer: AssertionSignerLike | undefined,
): void {
  if (pre === undefined) return;
  if (typeof pre.clientId !== 'string' || pre.clientId === '') {
    throw new SignInError('ERR_SIGNIN_CLIENT_CONFIG', 'preRegistered.clientId must be a non-empty string.');
  }
  const method = pre.tokenEndpointAuthMethod;
  if (
    (method === 'client_secret_basic' || method === 'client_secret_post') &&
    pre.clientSecret === undefined
  ) {
    throw new SignInError(
      'ERR_SIGNIN_CLIENT_CONFIG',
      `preRegistered.tokenEndpointAuthMethod ${method} needs preRegistered.clientSecret.`,
    );
  }
  if (method === 'private_key_jwt' && signer === undefined) {
    throw new SignInError(
      'ERR_SIGNIN_CLIENT_CONFIG',
      'preRegistered.tokenEndpointAuthMethod private_key_jwt needs the signer option.',
    );
  }
}

/**
 * RFC 8414 §3.3: the metadata's `issuer` must be the issuer identifier it was discovered for,
 * character for character (the one tolerance: a discovery URL ending in `/`, as the SDK spells
 * a URL, against an issuer without it).
 */
export function assertMetadataIssuer(state: DiscoveryStateLike): void {
  const metadata = state.authorizationServerMetadata;
  if (metadata === undefined) return;
  const expected = String(state.authorizationServerUrl);
  const issuer: unknown = metadata.issuer;
  if (issuer === expected || (expected.endsWith('/') && issuer === expected.slice(0, -1))) return;
  throw new SignInError(
    'ERR_SIGNIN_ISSUER_MISMATCH',
    `the authorization server metadata found for ${expected} names the issuer ${JSON.stringify(typeof issuer === 'string' ? displayable(issuer) : issuer)} (RFC 8414 §3.3 requires them to be identical); its endpoints were not used.`,
  );
}

/**
 * The \`resource\` of an authorization request must be the MCP server (or a prefix of its URL on
 * the same origin, as RFC 9728 allows): a protected resource metadata naming another resource
 * never leads to \`/authorize\`.
 */
export function assertResourceMatches(resource: string | null, serverResource: string): void {
  if (resource === null) return;
  if (resourceAllowed(resource, serverResource)) return;
  throw new SignInError(
    'ERR_SIGNIN_RESOURCE_MISMATCH',
    `the protected resource metadata names the resource ${JSON.stringify(displayable(resource))}, which is not the MCP server ${serverResource}; the sign-in was not started.`,
  );
}

/** True when `resource` names the MCP server at `serverResource`: same origin, and a path prefix of it. */
export function resourceAllowed(resource: string, serverResource: string): boolean {
  let requested: URL;
  let server: URL;
  try {
    requested = new URL(resource);
    server = new URL(serverResource);
  } catch {
    return false;
  }
  if (requested.origin !== server.origin) return false;
  const withSlash = (path: string) => (path.endsWith('/') ? path : `${path}/`);
  return (
    requested.pathname === server.pathname ||
    withSlash(server.pathname).startsWith(withSlash(requested.pathname))
  );
}

/**
 * SEP-2207: \`offline_access\` is asked for only when the authorization server lists it in
 * \`scopes_supported\` (then always, when the client may use refresh tokens); a scope that names
 * it for a server that does not list it loses it.
 */
export function adjustOfflineAccess(
  authorizationUrl: URL,
  metadata: AuthorizationServerMetadataLike | undefined,
  profile: ClientProfile,
): void {
  const scope = authorizationUrl.searchParams.get('scope');
  const scopes = (scope ?? '').split(' ').filter((item) => item !== '');
  const listed =
    Array.isArray(metadata?.scopes_supported) && metadata.scopes_supported.includes('offline_access');
  const refreshable = profile.registration.grant_types?.includes('refresh_token') ?? true;
  let next = scopes;
  if (!listed || !refreshable) next = scopes.filter((item) => item !== 'offline_access');
  else if (scope !== null && !scopes.includes('offline_access')) next = [...scopes, 'offline_access'];
  if (next.length === scopes.length && next.every((item, index) => item === scopes[index])) return;
  if (next.length === 0) authorizationUrl.searchParams.delete('scope');
  else authorizationUrl.searchParams.set('scope', next.join(' '));
}
