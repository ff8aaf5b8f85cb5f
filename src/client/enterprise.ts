/**
 * Enterprise-managed authorization for clients (MCP's extension, SEP-990; the Identity Assertion
 * JWT Authorization Grant, draft-ietf-oauth-identity-assertion-authz-grant): a user already
 * signed in at the enterprise identity provider gets an MCP access token without a browser.
 *
 * 1. {@link requestIdJag}: an RFC 8693 token exchange at the IdP, the user's ID token as
 *    `subject_token`, asking for an ID-JAG (`requested_token_type`
 *    `urn:ietf:params:oauth:token-type:id-jag`) for the authorization server (`audience`, its
 *    issuer) and the MCP server (`resource`).
 * 2. {@link requestJwtBearerToken}: the RFC 7523 JWT bearer grant at the authorization server
 *    with the ID-JAG as `assertion`, and client authentication: `private_key_jwt` with the CIMD
 *    key set (`aud` = the issuer), or a client secret (`client_secret_basic`) for a registered
 *    client.
 *
 * {@link signInWithIdJag} does both after discovering the authorization server from the MCP
 * server's protected-resource metadata.
 *
 * @module
 */
import {
  type AssertionSignerLike,
  applyClientAuthentication,
  signerAlgorithm,
  toAssertionSigner,
} from './client-auth.js';
import { discoverAuthorizationServer } from './discover-server.js';
import { SignInError } from './errors.js';
import type { FetchLike } from './fetch-like.js';
import type { OAuthTokensLike } from './oauth-types.js';
import { postTokenRequest } from './token-request.js';

/** The grant type of an RFC 8693 token exchange. */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** The token type of an Identity Assertion JWT Authorization Grant. */
export const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
/** The token type of an OpenID Connect ID token (RFC 8693 §3). */
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
/** The grant type of the JWT bearer grant (RFC 7523 §2.1). */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** This client at the enterprise IdP (its own registration there). */
export interface IdpClient {
  /** The IdP's token endpoint (https; http only on loopback). */
  tokenEndpoint: string | URL;
  /** This client's `client_id` at the IdP. */
  clientId: string;
  /** Its secret at the IdP, sent in the form (`client_secret_post`), when it has one. */
  clientSecret?: string;
}

/** Options of {@link requestIdJag}. */
export interface IdJagRequest {
  /** The IdP and this client there. */
  idp: IdpClient;
  /** The user's ID token from the IdP (`subject_token`). */
  idToken: string;
  /** The authorization server's issuer (`audience`): the ID-JAG is for it alone. */
  audience: string;
  /** The MCP server's resource identifier (`resource`). */
  resource: string;
  /** The scope to ask for. Default: none sent (the IdP's policy decides). */
  scope?: string;
  /** The fetch. Default `globalThis.fetch`. */
  fetch?: FetchLike;
}

/** An ID-JAG from the IdP. */
export interface IdJag {
  /** The ID-JAG (a JWT): the `assertion` of the JWT bearer grant. Secret. */
  assertion: string;
  /** Its lifetime in seconds, when the IdP said. */
  expiresIn?: number;
  /** The scope it grants, when the IdP said. */
  scope?: string;
}

/**
 * The RFC 8693 exchange at the IdP: the user's ID token for an ID-JAG for `audience` and `resource`.
 *
 * @throws SignInError `ERR_SIGNIN_FAILED` when the IdP refuses (with its OAuth error) or answers
 *   with another token type; `ERR_SIGNIN_SERVER_UNSUPPORTED` for a token endpoint that is not https.
 */
export async function requestIdJag(request: IdJagRequest): Promise<IdJag> {
  const params = new URLSearchParams({
    grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
    requested_token_type: ID_JAG_TOKEN_TYPE,
    audience: request.audience,
    resource: request.resource,
    subject_token: request.idToken,
    subject_token_type: ID_TOKEN_TYPE,
    client_id: request.idp.clientId,
  });
  if (request.idp.clientSecret !== undefined) params.set('client_secret', request.idp.clientSecret);
  if (request.scope !== undefined && request.scope !== '') params.set('scope', request.scope);
  const body = await postTokenRequest({
    endpoint: request.idp.tokenEndpoint,
    params,
    fetch: request.fetch,
    what: 'token exchange for an ID-JAG',
  });
  if (body.issued_token_type !== ID_JAG_TOKEN_TYPE || typeof body.access_token !== 'string') {
    throw new SignInError(
      'ERR_SIGNIN_FAILED',
      `the identity provider answered the token exchange without an ID-JAG (issued_token_type ${JSON.stringify(body.issued_token_type)}, not ${ID_JAG_TOKEN_TYPE}).`,
    );
  }
  const idJag: IdJag = { assertion: body.access_token };
  if (typeof body.expires_in === 'number') idJag.expiresIn = body.expires_in;
  if (typeof body.scope === 'string') idJag.scope = body.scope;
  return idJag;
}

/** How this client authenticates at the authorization server: give `signer` or `clientSecret`. */
export interface GrantClient {
  /** Its `client_id` there: the CIMD document URL (or a registered id). */
  clientId: string;
  /** Signs `private_key_jwt` assertions: `createAssertionSigner(keySet)` from `mcp-cimd/keys`, or a function. */
  signer?: AssertionSignerLike;
  /** A registered client's secret (`client_secret_basic`); never for a CIMD client. */
  clientSecret?: string;
}

/** Options of {@link requestJwtBearerToken}. */
export interface JwtBearerTokenRequest {
  /** The authorization server's token endpoint (https; http only on loopback). */
  tokenEndpoint: string | URL;
  /** The authorization server's issuer: the `aud` of the client assertion. */
  issuer: string;
  /** The ID-JAG (or another JWT the server accepts) as `assertion`. */
  assertion: string;
  /** The MCP server's resource identifier (`resource`). */
  resource: string;
  /** The scope to ask for. Default: none sent (the assertion's scope). */
  scope?: string;
  /** This client and its authentication. */
  client: GrantClient;
  /** The fetch. Default `globalThis.fetch`. */
  fetch?: FetchLike;
}

function clientMethod(client: GrantClient): 'private_key_jwt' | 'client_secret_basic' {
  if ((client.signer === undefined) === (client.clientSecret === undefined)) {
    throw new SignInError(
      'ERR_SIGNIN_CLIENT_CONFIG',
      'the JWT bearer grant needs client authentication: give exactly one of signer (private_key_jwt, e.g. createAssertionSigner(keySet) from mcp-cimd/keys) and clientSecret.',
    );
  }
  return client.signer === undefined ? 'client_secret_basic' : 'private_key_jwt';
}

/**
 * The RFC 7523 JWT bearer grant at the authorization server, with client authentication.
 *
 * @throws SignInError `ERR_SIGNIN_CLIENT_CONFIG` without exactly one of `signer` and
 *   `clientSecret`; `ERR_SIGNIN_FAILED` when the server refuses (with its OAuth error, e.g.
 *   `invalid_grant` for an ID-JAG for another audience or from an issuer it does not trust).
 */
export async function requestJwtBearerToken(request: JwtBearerTokenRequest): Promise<OAuthTokensLike> {
  const { client } = request;
  const method = clientMethod(client);
  const params = new URLSearchParams({
    grant_type: JWT_BEARER_GRANT_TYPE,
    assertion: request.assertion,
    resource: request.resource,
  });
  if (request.scope !== undefined && request.scope !== '') params.set('scope', request.scope);
  const headers = new Headers();
  await applyClientAuthentication(
    {
      method,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      signer: client.signer === undefined ? undefined : toAssertionSigner(client.signer),
      audience: request.issuer,
    },
    headers,
    params,
  );
  const body = await postTokenRequest({
    endpoint: request.tokenEndpoint,
    params,
    headers,
    fetch: request.fetch,
    what: 'JWT bearer grant',
  });
  if (typeof body.access_token !== 'string' || typeof body.token_type !== 'string') {
    throw new SignInError('ERR_SIGNIN_FAILED', 'the JWT bearer grant was answered without an access token.');
  }
  return { ...body, access_token: body.access_token, token_type: body.token_type } as OAuthTokensLike;
}

/** Options of {@link signInWithIdJag}. */
export interface IdJagSignInOptions {
  /** The MCP server's URL. */
  serverUrl: string | URL;
  /** The user's ID token from the IdP. */
  idToken: string;
  /** The IdP and this client there. */
  idp: IdpClient;
  /** This client at the authorization server. */
  client: GrantClient;
  /** The scope to ask for, at both steps. Default: none sent. */
  scope?: string;
  /** The fetch for discovery and both token requests. Default `globalThis.fetch`. */
  fetch?: FetchLike;
}

/** What {@link signInWithIdJag} got. */
export interface IdJagSignIn {
  /** The authorization server's tokens (no refresh token: ask the IdP for a new ID-JAG). */
  tokens: OAuthTokensLike;
  /** The authorization server's issuer. */
  issuer: string;
  /** The MCP server's resource identifier. */
  resource: string;
}

/**
 * Discovers the MCP server's authorization server (which must offer the JWT bearer grant), gets
 * an ID-JAG for it from the IdP ({@link requestIdJag}) and exchanges it ({@link requestJwtBearerToken}).
 * Send `tokens.access_token` as `Authorization: Bearer` to the MCP server.
 *
 * ```ts
 * const { tokens } = await signInWithIdJag({
 *   serverUrl: 'https://mcp.example.com/mcp',
 *   idToken, // the user's ID token from the enterprise IdP
 *   idp: { tokenEndpoint: 'https://idp.example.com/token', clientId: 'chat-app' },
 *   client: { clientId: 'https://app.example.com/oauth/client.json', signer: await createAssertionSigner(keySet) },
 * });
 * ```
 *
 * @throws SignInError from discovery (see `discoverAuthorizationServer`) and both requests.
 */
export async function signInWithIdJag(options: IdJagSignInOptions): Promise<IdJagSignIn> {
  const method = clientMethod(options.client);
  const server = await discoverAuthorizationServer({
    serverUrl: options.serverUrl,
    grantType: JWT_BEARER_GRANT_TYPE,
    privateKeyJwt: method === 'private_key_jwt',
    signingAlg: signerAlgorithm(options.client.signer),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const optional = {
    ...(options.scope === undefined ? {} : { scope: options.scope }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  };
  const idJag = await requestIdJag({
    idp: options.idp,
    idToken: options.idToken,
    audience: server.issuer,
    resource: server.resource,
    ...optional,
  });
  const tokens = await requestJwtBearerToken({
    tokenEndpoint: server.tokenEndpoint,
    issuer: server.issuer,
    assertion: idJag.assertion,
    resource: server.resource,
    client: options.client,
    ...optional,
  });
  return { tokens, issuer: server.issuer, resource: server.resource };
}
