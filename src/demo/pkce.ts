/**
 * PKCE (RFC 7636) with S256, and the `state` of an authorization request: random values from
 * the CSPRNG, base64url without padding.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';

/** A PKCE pair: the secret verifier and its S256 challenge. */
export interface Pkce {
  /** 43 base64url characters (32 random bytes); sent only to the token endpoint. */
  verifier: string;
  /** BASE64URL(SHA-256(verifier)). */
  challenge: string;
  method: 'S256';
}

/** A new PKCE pair. */
export function createPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge, method: 'S256' };
}

/** A new `state` value (128 random bits). */
export function randomState(): string {
  return randomBytes(16).toString('base64url');
}
