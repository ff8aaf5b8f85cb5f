/**
 * `mcp-cimd/server`: the authorization server side of CIMD. This entry point exports client
 * resolution (the registry, the CIMD resolver's options, the trust policy, change detection and
 * DCR client ids), the resolved-client types, `private_key_jwt` client authentication, and the
 * OAuth wire errors.
 *
 * @module
 */

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
} from './auth/index.js';
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
