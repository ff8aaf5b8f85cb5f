/**
 * DPoP at the authorization server: the `dpop` option, resolved once at start-up.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import { createDpopNonceSource, type DpopNonceOptions, type DpopNonceSource } from './nonce.js';
import { checkDpopAlgorithms, DEFAULT_DPOP_IAT_WINDOW_MS } from './proof.js';

/** The authorization server's `dpop` option (RFC 9449). DPoP is always accepted; these tighten it. */
export interface DpopServerOptions {
  /** Refuse token requests without a DPoP proof (`invalid_dpop_proof`). Default `false`. */
  required?: boolean;
  /**
   * Require server-issued nonces in proofs at `/token` (RFC 9449 §8): `true` for the defaults
   * (a random secret, a 5-minute window), or the nonce options (share `secret` across instances).
   * Default `false`.
   */
  nonce?: boolean | Omit<DpopNonceOptions, 'now'>;
  /** Accepted proof algorithms (advertised as `dpop_signing_alg_values_supported`). Default ES256, ES384, PS256, RS256, EdDSA. */
  algorithms?: readonly string[];
  /** How far a proof's `iat` may be from now, either way, in ms. Default 300 000. */
  iatWindowMs?: number;
}

/** The `dpop` option after defaults and validation. */
export interface ResolvedDpopServerOptions {
  required: boolean;
  algorithms: readonly string[];
  iatWindowMs: number;
  /** The nonce source when nonces are required. */
  nonces: DpopNonceSource | undefined;
}

/** Applies the defaults of `options` (`now` is the server's clock). @throws InvalidOptionError */
export function resolveDpopServerOptions(
  options: DpopServerOptions | undefined,
  now: () => number = Date.now,
): ResolvedDpopServerOptions {
  const value = options ?? {};
  if (typeof value !== 'object') throw new InvalidOptionError('dpop must be an object');
  const iatWindowMs = value.iatWindowMs ?? DEFAULT_DPOP_IAT_WINDOW_MS;
  if (!Number.isSafeInteger(iatWindowMs) || iatWindowMs < 1000) {
    throw new InvalidOptionError('dpop.iatWindowMs must be an integer of at least 1000 milliseconds');
  }
  const nonce = value.nonce ?? false;
  return {
    required: value.required ?? false,
    algorithms: Object.freeze(checkDpopAlgorithms(value.algorithms)),
    iatWindowMs,
    nonces: nonce === false ? undefined : createDpopNonceSource({ ...(nonce === true ? {} : nonce), now }),
  };
}
