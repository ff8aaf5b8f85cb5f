/**
 * DPoP (RFC 9449) for the authorization server and protected resources: proof verification,
 * server nonces, replay records, the resource-side check and the errors.
 *
 * @module
 */
export { InvalidDpopProofError, UseDpopNonceError } from './errors.js';
export { createMemoryDpopReplayStore, DEFAULT_DPOP_REPLAY_CAPACITY } from './memory-replay.js';
export {
  createDpopNonceSource,
  DEFAULT_DPOP_NONCE_WINDOW_MS,
  type DpopNonceOptions,
  type DpopNonceSource,
} from './nonce.js';
export {
  accessTokenHash,
  createDpopProofVerifier,
  DEFAULT_DPOP_ALGORITHMS,
  DEFAULT_DPOP_IAT_WINDOW_MS,
  type DpopProofRequest,
  type DpopProofVerifier,
  type DpopProofVerifierOptions,
  type DpopReplayStore,
  htuOf,
  type VerifiedDpopProof,
} from './proof.js';
export {
  boundJktOf,
  createDpopResourceCheck,
  type DpopResourceCheck,
  type DpopResourceOptions,
  type DpopResourceResult,
} from './resource.js';
export type { DpopServerOptions } from './server-options.js';
