/**
 * DPoP (RFC 9449) at `cimd serve`'s token endpoint: `--dpop-required`, `--dpop-nonce` and
 * `--dpop-nonce-window`. Proofs are always accepted; these options tighten it.
 *
 * @module
 */
import type { KeyedProblem } from './errors.js';
import type { ServeSettings } from './schema.js';

/** The default nonce window of `--dpop-nonce-window`, in seconds. */
export const DEFAULT_DPOP_NONCE_WINDOW_SECONDS = 300;

/** DPoP at the token endpoint. */
export interface DpopConfig {
  /** Refuse token requests without a DPoP proof: every token is DPoP-bound. */
  required: boolean;
  /** Require server-issued nonces in proofs (a random secret per start). */
  nonce: boolean;
  /** How often a new nonce is issued, in seconds (a nonce is accepted for 1 to 2 windows). */
  nonceWindowSeconds: number;
}

/** The DPoP configuration; a nonce window without `--dpop-nonce` is a problem (it would do nothing). */
export function resolveDpop(settings: ServeSettings, problems: KeyedProblem[]): DpopConfig {
  if (settings.dpopNonceWindow !== undefined && !settings.dpopNonce) {
    problems.push({
      key: 'dpopNonceWindow',
      message: 'sets the window of DPoP nonces, which are off: add --dpop-nonce, or leave this option out',
    });
  }
  return {
    required: settings.dpopRequired,
    nonce: settings.dpopNonce,
    nonceWindowSeconds: settings.dpopNonceWindow ?? DEFAULT_DPOP_NONCE_WINDOW_SECONDS,
  };
}
