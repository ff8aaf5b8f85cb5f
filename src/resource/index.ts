/**
 * `mcp-cimd/resource`: the resource-server side, for an MCP server protected by an
 * authorization server (ours or another that issues RFC 9068 JWT access tokens). It needs none
 * of the authorization server: the access-token verifier, the bearer authenticator and its Hono
 * middleware, protected-resource metadata (RFC 9728) and its endpoint, `WWW-Authenticate`
 * challenges, the `AuthInfo` the MCP SDK's tool handlers receive, and the OAuth errors a
 * verifier throws. Runtime-neutral: nothing it reaches imports a `node:` module. The Express
 * adapter is `mcp-cimd/resource/express`.
 *
 * The same names stay exported from `mcp-cimd/server` (and `mcp-cimd/server/express`) as aliases
 * until 1.0; they are the same functions.
 *
 * ```ts
 * import { bearerAuth, createAccessTokenVerifier, protectedResourceMetadata } from 'mcp-cimd/resource';
 * ```
 *
 * @module
 */

export {
  accessTokenHash,
  boundJktOf,
  createDpopNonceSource,
  createDpopProofVerifier,
  createDpopResourceCheck,
  createMemoryDpopReplayStore,
  DEFAULT_DPOP_ALGORITHMS,
  type DpopNonceOptions,
  type DpopNonceSource,
  type DpopReplayStore,
  type DpopResourceOptions,
  InvalidDpopProofError,
  UseDpopNonceError,
} from '../server/dpop/index.js';
export {
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  isOAuthError,
  OAuthError,
  type OAuthErrorCode,
  TemporarilyUnavailableError,
} from '../server/oauth-errors.js';
export type { AuthInfo, TokenVerifier } from '../server/resource/auth-info.js';
export {
  type BearerAuthenticator,
  type BearerAuthOptions,
  type BearerAuthResult,
  type BearerRequest,
  bearerRequestOf,
  createBearerAuthenticator,
} from '../server/resource/authenticate.js';
export {
  type AccessTokenVerifier,
  type AccessTokenVerifierOptions,
  createAccessTokenVerifier,
  DEFAULT_ACCESS_TOKEN_ALGORITHMS,
} from '../server/resource/bearer.js';
export {
  type BearerAuthEnv,
  bearerAuth,
  protectedResourceMetadataHandler,
  protectedResourceMetadataRoute,
} from '../server/resource/hono.js';
export { type HttpReply, toResponse } from '../server/resource/http-reply.js';
export {
  type McpSdkErrorClass,
  type McpSdkErrorClasses,
  mcpSdkVerifier,
} from '../server/resource/mcp-sdk-verifier.js';
export {
  PROTECTED_RESOURCE_WELL_KNOWN,
  type ProtectedResourceMetadata,
  type ProtectedResourceMetadataOptions,
  protectedResourceMetadata,
  protectedResourceMetadataPath,
  protectedResourceMetadataUrl,
} from '../server/resource/protected-resource-metadata.js';
export {
  type BearerErrorCode,
  type WwwAuthenticateOptions,
  wwwAuthenticate,
} from '../server/resource/www-authenticate.js';
