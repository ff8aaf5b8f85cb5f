/**
 * `mcp-cimd/keys`: the client side of `private_key_jwt`. Generate signing keys, keep them in a
 * key set file with their rotation state, publish the public JWKS, rotate in stages (stage,
 * publish, promote, retire after a grace period), and sign client assertions with the current
 * key. Node only (files and the SSRF-safe fetcher).
 *
 * ```ts
 * import { generateClientKey, createKeySet, saveKeySet, publicJwks, signClientAssertion } from 'mcp-cimd/keys';
 *
 * const keySet = createKeySet(await generateClientKey('ES256'), { jwksUri: 'https://app.example.com/oauth/jwks.json' });
 * await saveKeySet('cimd-keys.json', keySet);            // mode 0600
 * const jwks = publicJwks(keySet);                       // publish at jwksUri
 * const assertion = await signClientAssertion({ keySet, clientId, audience: issuer });
 * ```
 *
 * @module
 */

export {
  CLIENT_KEY_ALGORITHMS,
  type ClientKeyAlgorithm,
  DEFAULT_CLIENT_KEY_ALGORITHM,
  isClientKeyAlgorithm,
  MIN_RSA_MODULUS_BITS,
} from './algorithms.js';
export {
  type AssertionClaimsOptions,
  type AssertionSigner,
  type AssertionSignerOptions,
  CLIENT_ASSERTION_TYPE,
  CLIENT_ASSERTION_TYPE_URN,
  createAssertionSigner,
  DEFAULT_ASSERTION_LIFETIME_MS,
  MAX_ASSERTION_LIFETIME_MS,
  type SignClientAssertionOptions,
  type SigningKey,
  signClientAssertion,
} from './assertion.js';
export {
  type AutoRotateOptions,
  type AutoRotateResult,
  autoRotateStep,
} from './auto-rotation.js';
export { isKeySetError, KeySetError, type KeySetErrorCode } from './errors.js';
export { DEFAULT_KEY_SET_FILE, loadKeySet, saveKeySet } from './file.js';
export { type ClientKey, type GenerateClientKeyOptions, generateClientKey } from './generate.js';
export { type PublicJwks, publicJwks } from './jwks.js';
export {
  type CurrentKeyAge,
  currentKeyAge,
  DEFAULT_MAX_KEY_AGE_MS,
} from './key-age.js';
export {
  type CreateKeySetOptions,
  createKeySet,
  currentKey,
  DEFAULT_MAX_ASSERTION_LIFETIME_MS,
  DEFAULT_MAX_JWKS_CACHE_MS,
  KEY_SET_VERSION,
  type KeySet,
  type KeySetSettings,
  type KeyState,
  nextKey,
  previousKeys,
  type StoredKey,
  withJwksUri,
} from './key-set.js';
export { parseKeySet, serializeKeySet } from './key-set-format.js';
export { exportPrivateKeyPem } from './pem.js';
export { PRIVATE_JWK_MEMBERS, toPublicJwk } from './public-jwk.js';
export {
  comparePublication,
  type KeyPublication,
  keyPublication,
  type PublicationReport,
} from './publication.js';
export { type FetchPublishedJwksOptions, fetchPublishedJwks } from './published.js';
export {
  type PromoteOptions,
  promoteNextKey,
  type RetireOptions,
  type RetireResult,
  retireAfter,
  retirePreviousKeys,
  type StageKeyOptions,
  stageKey,
} from './rotation.js';
export {
  type KeySetStatus,
  keySetStatus,
  type StatusCode,
  type StatusItem,
  type StatusLevel,
} from './status.js';
