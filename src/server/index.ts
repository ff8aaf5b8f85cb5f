/**
 * `mcp-cimd/server`: the authorization server side of CIMD. This entry point exports client
 * resolution (the registry, the CIMD resolver's options, the trust policy, change detection and
 * DCR client ids), the resolved-client types, `private_key_jwt` client authentication, the
 * server's signing keys and access tokens, the protected MCP server's bearer verification,
 * protected-resource metadata and Hono middleware, and the OAuth wire errors.
 *
 * @module
 */

export type { UpstreamErrorCode } from '../error-codes/upstream.js';
export {
  AUDIT_EVENT_TYPES,
  AUDIT_EVENT_VERSION,
  type AuditEvent,
  type AuditEventType,
  type AuditSink,
  fileAuditSink,
  functionAuditSink,
  streamAuditSink,
} from './audit/index.js';
// private_key_jwt client authentication
export {
  type AssertionAudienceMode,
  allowedAlgorithmsFor,
  CLIENT_ASSERTION_ALGORITHMS,
  type ClientAssertionParams,
  type ClientAssertionStore,
  type ClientAssertionVerifier,
  type ClientAssertionVerifierOptions,
  claimedClientId,
  createClientAssertionVerifier,
  DEFAULT_CLOCK_SKEW_MS,
  DEFAULT_JWKS_CACHE_BOUNDS,
  DEFAULT_KID_REFETCH_COOLDOWN_MS,
  DEFAULT_MAX_ASSERTION_LIFETIME_MS,
  JWT_BEARER_ASSERTION_TYPE,
  MAX_CLIENT_ASSERTION_LENGTH,
  MAX_JTI_LENGTH,
  readClientAssertionParams,
  type TokenRequestParams,
  type VerifiedClientAssertion,
  type VerifyAssertionOptions,
} from './auth/index.js';
export type { PendingJti } from './auth/pending-jti.js';
export type { TrustedAssertionIssuer } from './auth/trusted-assertion-issuers.js';
export { ENDPOINT_PATHS, type Endpoints, type ServerContext } from './authorization-server/context.js';
// The authorization server
export {
  type AuthorizationServer,
  createAuthorizationServer,
} from './authorization-server/create.js';
export type {
  AuthorizationServerOptions,
  ConsentOptions,
  RegistrationOptions,
} from './authorization-server/options.js';
// Caching bounds (RFC 9111 freshness clamped to bounds)
export { type CacheBounds, DEFAULT_CACHE_BOUNDS } from './cache/http-freshness.js';
// Client resolution
export { GENERATED_CLIENT_ID_PREFIX, generateClientId, isUrlClientId } from './clients/client-id.js';
export {
  DEFAULT_DOCUMENT_CACHE,
  type DocumentCacheOptions,
  type StoreErrorListener,
} from './clients/document-cache.js';
export {
  ClientResolutionError,
  type ClientResolutionErrorCode,
  type ClientResolutionErrorDetails,
  isClientResolutionError,
} from './clients/errors.js';
export { DEFAULT_FETCH_BUDGET, type FetchBudgetOptions } from './clients/fetch-budget.js';
export {
  FINGERPRINTED_MEMBERS,
  fingerprintClientMetadata,
  hasClientChanged,
  IDENTITY_MEMBERS,
} from './clients/fingerprint.js';
export {
  type ClientRegistry,
  type ClientRegistryOptions,
  createClientRegistry,
  type RegistryFetchOptions,
} from './clients/registry.js';
export {
  createTrustPolicy,
  type TrustContext,
  type TrustEntry,
  type TrustPolicy,
  type TrustPolicyOptions,
  type TrustVerdict,
} from './clients/trust-policy.js';
export type { ClientProvenance, ResolvedClient, TrustDecision } from './clients/types.js';
export {
  type AcceptDocumentOptions,
  type AcceptedDocument,
  acceptClientMetadataDocument,
  SUPPORTED_GRANT_TYPES,
  TOLERATED_SERVER_SIDE,
} from './clients/validate-document.js';
// DPoP (RFC 9449): proofs, nonces, the resource-side check
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
  type DpopProofVerifier,
  type DpopProofVerifierOptions,
  type DpopReplayStore,
  type DpopResourceOptions,
  type DpopServerOptions,
  InvalidDpopProofError,
  UseDpopNonceError,
  type VerifiedDpopProof,
} from './dpop/index.js';
export type { Readiness } from './endpoints/health.js';
export { authorizationServerMetadata } from './endpoints/metadata.js';
export type {
  BudgetRefusalEvent,
  CacheEvent,
  ClientDocumentChangedEvent,
  ClientFirstSeenEvent,
  ClientKeysChangedEvent,
  ConsentGrantedEvent,
  ConsentRevokedEvent,
  FetchEvent,
  FetchTarget,
  ReplayEvent,
  ReplayKind,
  RequestEvent,
  ServerEvent,
  ServerEventType,
  ServerObserver,
  TokenIssuedEvent,
  TokenRefusedEvent,
} from './events.js';
export { ID_JAG_TYP, JWT_BEARER_GRANT } from './grants/jwt-bearer.js';
export { isLoopbackAddress, peerAddressOf } from './http/peer.js';
export { type Logger, silentLogger } from './logger.js';
export {
  type AuthenticatedUser,
  type AuthenticationContext,
  type Authenticator,
  type IssuedGrant,
  returnToWithError,
  SIGN_IN_ERROR_PARAM,
  SIGN_IN_FAILURE_CODES,
  type SignInFailureCode,
} from './login/authenticator.js';
export { type DevLoginOptions, devLogin } from './login/dev-login.js';
export {
  createSessionManager,
  type Session,
  type SessionManager,
  type SessionManagerOptions,
  type SessionRecord,
} from './login/session.js';
// OAuth wire errors
export {
  AccessDeniedError,
  ConsentRequiredError,
  InsufficientScopeError,
  InvalidClientError,
  InvalidClientMetadataWireError,
  InvalidGrantError,
  InvalidRedirectUriError,
  InvalidRequestError,
  InvalidScopeError,
  InvalidTargetError,
  InvalidTokenError,
  isOAuthError,
  LoginRequiredError,
  OAuthError,
  type OAuthErrorCode,
  ServerError,
  TemporarilyUnavailableError,
  toOAuthError,
  UnauthorizedClientError,
  UnsupportedGrantTypeError,
  UnsupportedResponseTypeError,
} from './oauth-errors.js';
export { RATE_LIMITED_ERROR } from './rate-limit/middleware.js';
export {
  DEFAULT_RATE_LIMIT_PER_CLIENT,
  DEFAULT_RATE_LIMIT_PER_IP,
  RATE_LIMIT_WINDOW_MS,
  type RateLimitOptions,
} from './rate-limit/options.js';
export { MIN_INITIAL_ACCESS_TOKEN_LENGTH } from './registration/initial-access-token.js';
// The protected MCP server: bearer verification, protected-resource metadata, middleware
export type { AuthInfo, TokenVerifier } from './resource/auth-info.js';
export {
  type BearerAuthenticator,
  type BearerAuthOptions,
  type BearerAuthResult,
  type BearerRequest,
  bearerRequestOf,
  createBearerAuthenticator,
} from './resource/authenticate.js';
export {
  type AccessTokenVerifier,
  type AccessTokenVerifierOptions,
  createAccessTokenVerifier,
  DEFAULT_ACCESS_TOKEN_ALGORITHMS,
} from './resource/bearer.js';
export {
  type BearerAuthEnv,
  bearerAuth,
  protectedResourceMetadataHandler,
  protectedResourceMetadataRoute,
} from './resource/hono.js';
export { type HttpReply, toResponse } from './resource/http-reply.js';
export {
  PROTECTED_RESOURCE_WELL_KNOWN,
  type ProtectedResourceMetadata,
  type ProtectedResourceMetadataOptions,
  protectedResourceMetadata,
  protectedResourceMetadataPath,
  protectedResourceMetadataUrl,
} from './resource/protected-resource-metadata.js';
export {
  type BearerErrorCode,
  type WwwAuthenticateOptions,
  wwwAuthenticate,
} from './resource/www-authenticate.js';
export {
  createSecretBox,
  ENCRYPTION_KEY_BYTES,
  generateEncryptionKey,
  parseEncryptionKey,
  type SecretBox,
} from './secrets/secret-box.js';
// The server's signing keys and RFC 9068 access tokens
export {
  type AccessTokenSigner,
  DEFAULT_ACCESS_TOKEN_LIFETIME_MS,
  type IssueAccessTokenOptions,
  type IssuedAccessToken,
  issueAccessToken,
} from './tokens/access-token.js';
export { SERVER_SIGNING_ALGORITHMS, type ServerSigningAlgorithm } from './tokens/signing-algorithms.js';
export {
  fileSigningKeyStorage,
  memorySigningKeyStorage,
  type SigningKeyStorage,
} from './tokens/signing-key-storage.js';
export {
  createSigningKeyManager,
  DEFAULT_ROTATION_INTERVAL_MS,
  type PublicJwks,
  type SigningKey,
  type SigningKeyManager,
  type SigningKeyManagerOptions,
} from './tokens/signing-keys.js';
export {
  createUpstreamAuthenticator,
  UPSTREAM_CALLBACK_PATH,
  type UpstreamAuthenticator,
  type UpstreamAuthenticatorOptions,
} from './upstream/authenticator.js';
export {
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  type UpstreamClientAuth,
  type UpstreamConnectionOptions,
} from './upstream/connection.js';
export { UpstreamError } from './upstream/errors.js';
export { type GithubProviderOptions, githubProvider } from './upstream/github.js';
export { subjectFor, type UpstreamAllowList } from './upstream/identity.js';
export { type OAuth2ProviderOptions, oauth2Provider } from './upstream/oauth2.js';
export { type OidcProviderOptions, oidcProvider } from './upstream/oidc.js';
export {
  type EntraIdProviderOptions,
  entraIdProvider,
  entraIssuer,
  GOOGLE_ISSUER,
  type GoogleProviderOptions,
  googleProvider,
} from './upstream/presets.js';
export type {
  AuthorizationUrlInput,
  SignInChecks,
  UpstreamIdentity,
  UpstreamProvider,
  UpstreamTokens,
} from './upstream/provider.js';
export {
  createUpstreamTokenReader,
  grantIdOf,
  type UpstreamTokenReader,
  type UpstreamTokenReaderOptions,
} from './upstream/upstream-tokens.js';
