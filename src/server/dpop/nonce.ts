/**
 * Server-issued DPoP nonces (RFC 9449 §8 and §9): stateless, HMAC-based and rotating. A nonce
 * names a time slot of `windowMs` and carries an HMAC-SHA-256 of it under the server's secret,
 * so every instance that shares the secret accepts every other instance's nonces without a store.
 * The current slot's nonce is handed out; a nonce of the current or the previous slot is
 * accepted, so a nonce lives between one and two windows and a new one appears every window.
 *
 * @module
 */
import { base64url } from 'jose';
import { InvalidOptionError } from '../../errors.js';
import { timingSafeEqualStrings } from '../crypto.js';

/** The default nonce window: 5 minutes, in ms. */
export const DEFAULT_DPOP_NONCE_WINDOW_MS = 300_000;

/** Options of {@link createDpopNonceSource}. */
export interface DpopNonceOptions {
  /**
   * The HMAC secret (at least 32 bytes; a string is taken as UTF-8). Share it between instances
   * behind one load balancer. Default: 32 random bytes, new on every start (nonces then stop
   * working across a restart; clients simply retry with the next one).
   */
  secret?: Uint8Array | string;
  /** How often a new nonce is issued, in ms. A nonce is accepted for 1 to 2 windows. Default 300 000. */
  windowMs?: number;
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** Issues and checks DPoP nonces. */
export interface DpopNonceSource {
  /** The nonce to hand out now (the `DPoP-Nonce` header). */
  current(): Promise<string>;
  /** True when `nonce` is one this source issued for the current or the previous window. */
  check(nonce: string): Promise<boolean>;
}

const encoder = new TextEncoder();

/** Creates a nonce source; see the module comment. @throws InvalidOptionError for a bad option. */
export function createDpopNonceSource(options: DpopNonceOptions = {}): DpopNonceSource {
  const windowMs = options.windowMs ?? DEFAULT_DPOP_NONCE_WINDOW_MS;
  if (!Number.isSafeInteger(windowMs) || windowMs < 1000) {
    throw new InvalidOptionError('the DPoP nonce windowMs must be an integer of at least 1000 milliseconds');
  }
  const secret =
    options.secret === undefined
      ? crypto.getRandomValues(new Uint8Array(32))
      : typeof options.secret === 'string'
        ? encoder.encode(options.secret)
        : options.secret;
  if (secret.byteLength < 32)
    throw new InvalidOptionError('the DPoP nonce secret must have at least 32 bytes');
  const now = options.now ?? Date.now;
  const key = crypto.subtle.importKey(
    'raw',
    new Uint8Array(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );

  async function nonceFor(slot: number): Promise<string> {
    const label = slot.toString(36);
    const mac = new Uint8Array(
      await crypto.subtle.sign('HMAC', await key, encoder.encode(`dpop-nonce.${label}`)),
    );
    return `${label}.${base64url.encode(mac.subarray(0, 18))}`;
  }

  const slotOf = (): number => Math.floor(now() / windowMs);

  return {
    current: () => nonceFor(slotOf()),
    async check(nonce) {
      if (typeof nonce !== 'string' || nonce.length > 64) return false;
      const label = nonce.slice(0, nonce.indexOf('.'));
      const slot = Number.parseInt(label, 36);
      const currentSlot = slotOf();
      if (!Number.isSafeInteger(slot) || (slot !== currentSlot && slot !== currentSlot - 1)) return false;
      return timingSafeEqualStrings(nonce, await nonceFor(slot));
    },
  };
}
