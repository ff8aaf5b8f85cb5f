/**
 * Which identity the client provider presents to an authorization server, and how it
 * authenticates at its token endpoint: pre-registered credentials bound to their server, the
 * document URL when the server supports CIMD, else a stored Dynamic Client Registration (MCP-C-10);
 * a CIMD client authenticates by its document's method, the others by their registered one.
 *
 * @module
 */
import {
  type AssertionSignerLike,
  applyClientAuthentication,
  assertPrivateKeyJwtSupported,
  selectRegisteredClientMethod,
  signerAlgorithm,
  type TokenEndpointAuthMethod,
  toAssertionSigner,
} from './client-auth.js';
import type { ClientProfile } from './client-profile.js';
import { SignInError } from './errors.js';
import type { AuthorizationServerMetadataLike, ClientInformationLike } from './oauth-types.js';
import { sameServer } from './provider-checks.js';
import type { PreRegisteredClient } from './provider-options.js';
import { readRegistration, registrationExpired } from './stored-records.js';
import { registrationKey, type TokenStore } from './token-store.js';

/** How the client is identified to the current authorization server. */
export type ClientChoice =
  | { kind: 'pre-registered'; info: ClientInformationLike }
  | { kind: 'cimd'; info: ClientInformationLike }
  | { kind: 'registered'; info: ClientInformationLike };

/** What {@link chooseClient} looks at. */
export interface ClientChoiceInput {
  /** The document URL. */
  clientMetadataUrl: string;
  /** The validated issuer of the current authorization server, when known. */
  issuer: string | undefined;
  /** Its metadata, when known. */
  metadata: AuthorizationServerMetadataLike | undefined;
  profile: ClientProfile;
  /** The runtime redirect URI. */
  redirectUrl: string;
  preRegistered: PreRegisteredClient | undefined;
  /** The issuer pre-registered credentials were first used with (when they name none). */
  preRegisteredIssuer: string | undefined;
  signer: AssertionSignerLike | undefined;
  store: TokenStore;
}

function assertKeyUsable(input: ClientChoiceInput, metadata: AuthorizationServerMetadataLike): void {
  if (input.profile.authMethod === 'private_key_jwt') {
    assertPrivateKeyJwtSupported(metadata, input.profile.signingAlg ?? signerAlgorithm(input.signer));
  }
}

/**
 * The client identity for the current authorization server: pre-registered credentials when
 * configured for it; else the document URL when the server advertises
 * `client_id_metadata_document_supported` (a stored DCR registration then gives way to CIMD);
 * else a stored DCR registration for this server and redirect URI; else undefined (register).
 *
 * @throws SignInError `ERR_SIGNIN_AUTH_METHOD` when the document says `private_key_jwt` and the server cannot do it;
 *   `ERR_SIGNIN_SERVER_UNSUPPORTED` when the server offers neither CIMD nor registration.
 */
export async function chooseClient(input: ClientChoiceInput): Promise<ClientChoice | undefined> {
  const { issuer, metadata, preRegistered: pre } = input;
  if (pre !== undefined) {
    const boundTo = pre.issuer ?? input.preRegisteredIssuer;
    if (boundTo === undefined || issuer === undefined || sameServer(boundTo, issuer)) {
      const info: ClientInformationLike = { client_id: pre.clientId };
      if (pre.clientSecret !== undefined) info.client_secret = pre.clientSecret;
      if (boundTo !== undefined) info.issuer = boundTo;
      return { kind: 'pre-registered', info };
    }
  }
  if (metadata?.client_id_metadata_document_supported === true && issuer !== undefined) {
    assertKeyUsable(input, metadata);
    return { kind: 'cimd', info: { client_id: input.clientMetadataUrl, issuer } };
  }
  if (issuer !== undefined) {
    const stored = readRegistration(await input.store.get(registrationKey(input.clientMetadataUrl, issuer)));
    if (
      stored !== undefined &&
      stored.client_id !== input.clientMetadataUrl &&
      (stored.redirect_uris === undefined || stored.redirect_uris.includes(input.redirectUrl)) &&
      !registrationExpired(stored, Date.now())
    ) {
      return { kind: 'registered', info: { ...stored, issuer: stored.issuer ?? issuer } };
    }
  }
  if (metadata !== undefined) {
    if (metadata.registration_endpoint === undefined) {
      throw new SignInError(
        'ERR_SIGNIN_SERVER_UNSUPPORTED',
        `the authorization server ${metadata.issuer} supports neither Client ID Metadata Documents (client_id_metadata_document_supported) nor Dynamic Client Registration; ask its operator to enable CIMD, or configure pre-registered credentials.`,
      );
    }
    assertKeyUsable(input, metadata);
  }
  return undefined;
}

/**
 * The token-endpoint method of `client`: a CIMD client uses its document's (`private_key_jwt`
 * only when the server lists it), a pre-registered or DCR client its registered one.
 *
 * @throws SignInError `ERR_SIGNIN_AUTH_METHOD` when the method cannot be used with this server.
 */
export function tokenEndpointMethod(input: {
  client: ClientChoice;
  profile: ClientProfile;
  signer: AssertionSignerLike | undefined;
  preRegistered: PreRegisteredClient | undefined;
  metadata: AuthorizationServerMetadataLike | undefined;
}): TokenEndpointAuthMethod {
  const { client, profile, metadata } = input;
  if (client.kind === 'cimd') {
    if (profile.authMethod === 'private_key_jwt') {
      assertPrivateKeyJwtSupported(metadata, profile.signingAlg ?? signerAlgorithm(input.signer));
    }
    return profile.authMethod;
  }
  const declared =
    client.kind === 'pre-registered'
      ? input.preRegistered?.tokenEndpointAuthMethod
      : client.info.token_endpoint_auth_method;
  return selectRegisteredClientMethod({
    declared,
    hasSecret: client.info.client_secret !== undefined,
    supported: metadata?.token_endpoint_auth_methods_supported,
  });
}

/**
 * Adds `client`'s authentication to a token request (see {@link tokenEndpointMethod}); a
 * `private_key_jwt` assertion names the server's issuer as `aud`.
 *
 * @throws SignInError `ERR_SIGNIN_FAILED` before a client was chosen; `ERR_SIGNIN_AUTH_METHOD` for an unusable method.
 */
export async function authenticateClient(
  input: {
    client: ClientChoice | undefined;
    profile: ClientProfile;
    signer: AssertionSignerLike | undefined;
    preRegistered: PreRegisteredClient | undefined;
    metadata: AuthorizationServerMetadataLike | undefined;
  },
  headers: Headers,
  params: URLSearchParams,
): Promise<void> {
  const { client, signer, metadata } = input;
  if (client === undefined) {
    throw new SignInError('ERR_SIGNIN_FAILED', 'a token request started before the client was chosen.');
  }
  await applyClientAuthentication(
    {
      method: tokenEndpointMethod({ ...input, client }),
      clientId: client.info.client_id,
      clientSecret: client.info.client_secret,
      signer: signer === undefined ? undefined : toAssertionSigner(signer),
      audience: metadata?.issuer,
    },
    headers,
    params,
  );
}

/**
 * Stores a Dynamic Client Registration under `issuer` (SEP-2352: the validated issuer of the
 * server it was made at) and returns the record.
 *
 * @throws SignInError `ERR_SIGNIN_FAILED` when the issuer is not known.
 */
export async function storeRegistration(
  store: TokenStore,
  clientMetadataUrl: string,
  issuer: string | undefined,
  info: ClientInformationLike,
): Promise<ClientInformationLike> {
  if (issuer === undefined) {
    throw new SignInError(
      'ERR_SIGNIN_FAILED',
      'a client registration arrived before the authorization server was known.',
    );
  }
  const record: ClientInformationLike = { ...info, issuer };
  await store.set(registrationKey(clientMetadataUrl, issuer), record);
  return record;
}
