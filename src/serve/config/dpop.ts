/**
 * DPoP (RFC 9449) at `cimd serve`'s token endpoint: `--dpop-required`, `--dpop-nonce`,
 * `--dpop-nonce-window` and the nonce secret. Proofs are always accepted; these options tighten it.
 *
 * @module
 */
import type { KeyedProblem } from './errors.js';
import type { ServeSettings } from './schema.js';
import type { ReadSecrets } from './secrets.js';

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
  /**
   * The secret nonces are made with, shared by every instance given it, and where it came from;
   * absent: a random one per start (nonces then work on this instance only).
   */
  nonceSecret?: NonNullable<ReadSecrets['dpopNonceSecret']>;
}

/**
 * The DPoP configuration. A nonce window or secret without `--dpop-nonce` is a problem: it would
 * do nothing.
 */
export function resolveDpop(
  settings: ServeSettings,
  secrets: Pick<ReadSecrets, 'dpopNonceSecret'>,
  problems: KeyedProblem[],
): DpopConfig {
  if (!settings.dpopNonce) {
    const set = (['dpopNonceWindow', 'dpopNonceSecretFile', 'dpopNonceSecret'] as const).filter(
      (key) => settings[key] !== undefined,
    );
    for (const key of set) {
      problems.push({
        key,
        message: 'configures DPoP nonces, which are off: add --dpop-nonce, or leave this option out',
      });
    }
  }
  const config: DpopConfig = {
    required: settings.dpopRequired,
    nonce: settings.dpopNonce,
    nonceWindowSeconds: settings.dpopNonceWindow ?? DEFAULT_DPOP_NONCE_WINDOW_SECONDS,
  };
  if (secrets.dpopNonceSecret !== undefined) config.nonceSecret = secrets.dpopNonceSecret;
  return config;
}
