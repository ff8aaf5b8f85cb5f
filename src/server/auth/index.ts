/**
 * `private_key_jwt` client authentication for the authorization server: the verifier, the
 * token-request parameter reader, and the `jwks_uri` key-set cache.
 *
 * @module
 */
export { allowedAlgorithmsFor, CLIENT_ASSERTION_ALGORITHMS } from './assertion-algorithms.js';
export { type AssertionAudienceMode, MAX_JTI_LENGTH } from './assertion-claims.js';
export {
  type ClientAssertionParams,
  claimedClientId,
  JWT_BEARER_ASSERTION_TYPE,
  readClientAssertionParams,
  type TokenRequestParams,
} from './assertion-params.js';
export {
  type CachedKeySet,
  createJwksCache,
  DEFAULT_JWKS_CACHE_BOUNDS,
  DEFAULT_KID_REFETCH_COOLDOWN_MS,
  DEFAULT_MAX_CACHED_KEY_SETS,
  type JwksCache,
  type JwksCacheOptions,
} from './jwks-cache.js';
export type { ClientKeySet } from './key-set.js';
export type { PendingJti } from './pending-jti.js';
export {
  type ClientAssertionVerifier,
  createClientAssertionVerifier,
  MAX_CLIENT_ASSERTION_LENGTH,
  type VerifiedClientAssertion,
  type VerifyAssertionOptions,
} from './private-key-jwt.js';
export {
  type ClientAssertionStore,
  type ClientAssertionVerifierOptions,
  DEFAULT_CLOCK_SKEW_MS,
  DEFAULT_MAX_ASSERTION_LIFETIME_MS,
} from './verifier-options.js';
