/**
 * Random opaque tokens of the authorization server (codes, refresh tokens, `jti`s, sessions,
 * nonces): bytes from the CSPRNG, base64url without padding.
 *
 * @module
 */
import { encodeBase64url } from './base64url.js';

/** Size of the block of random bytes that small tokens are cut from, in bytes. */
const RANDOM_POOL_BYTES = 4096;
let randomPool = new Uint8Array(0);
let randomPoolOffset = 0;

/**
 * `count` fresh random bytes. Requests up to 256 bytes are cut from a block filled by one
 * `crypto.getRandomValues` call (each call costs about as much as filling 4 KiB, and an
 * authorization request needs three tokens); every byte is handed out once, then overwritten.
 */
function randomBytes(count: number): Uint8Array {
  if (count > 256) return crypto.getRandomValues(new Uint8Array(count));
  if (randomPoolOffset + count > randomPool.length) {
    randomPool = crypto.getRandomValues(new Uint8Array(RANDOM_POOL_BYTES));
    randomPoolOffset = 0;
  }
  const bytes = randomPool.slice(randomPoolOffset, randomPoolOffset + count);
  randomPool.fill(0, randomPoolOffset, randomPoolOffset + count);
  randomPoolOffset += count;
  return bytes;
}

/** A random opaque token of `bytes` random bytes (default 32: 256 bits), base64url without padding. */
export function randomToken(bytes = 32): string {
  return encodeBase64url(randomBytes(bytes));
}
