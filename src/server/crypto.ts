/**
 * Small cryptographic helpers of the authorization server, on Web Crypto (no `node:` imports):
 * one-way hashes for storing secrets, constant-time comparison (random tokens: `random-token.ts`).
 *
 * SHA-256 uses the runtime's synchronous `node:crypto` hash when `process.getBuiltinModule`
 * offers it (Node >= 20.16, and runtimes that emulate it): `crypto.subtle.digest` hands every
 * hash to the thread pool and back, which cost more than the rest of a public client's refresh.
 * Elsewhere it falls back to Web Crypto. Both give the same bytes.
 *
 * @module
 */

import { base64url } from 'jose';

const encoder = new TextEncoder();

/** The part of `node:crypto` used here and by the synchronous JWS helpers (`ecdsa-jws.ts`). */
export interface NodeCryptoSubset {
  createHash(algorithm: 'sha256'): { update(data: string): { digest(encoding: 'base64url'): string } };
  /** One-shot digest (Node >= 20.12): no hash object per call. */
  hash?(algorithm: 'sha256', data: string, outputEncoding: 'base64url'): string;
  sign(
    algorithm: string,
    data: Uint8Array,
    key: { key: unknown; dsaEncoding: 'ieee-p1363' },
  ): { toString(encoding: 'base64url'): string };
  verify(
    algorithm: string,
    data: Uint8Array,
    key: { key: unknown; dsaEncoding: 'ieee-p1363' },
    signature: Uint8Array,
    callback: (error: Error | null, valid: boolean) => void,
  ): void;
  KeyObject: {
    from(key: CryptoKey): {
      readonly type: string;
      readonly asymmetricKeyType?: string;
      readonly asymmetricKeyDetails?: { namedCurve?: string };
    };
  };
}

/**
 * `node:crypto` through `process.getBuiltinModule` where the runtime has it (Node >= 20.16, and
 * runtimes that emulate it), else undefined: callers then use Web Crypto.
 */
export const nodeCrypto: NodeCryptoSubset | undefined = (() => {
  try {
    const host = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const module = host?.getBuiltinModule?.('node:crypto') as Partial<NodeCryptoSubset> | undefined;
    return typeof module?.createHash === 'function' ? (module as NodeCryptoSubset) : undefined;
  } catch {
    return undefined;
  }
})();

/** base64url SHA-256 of `value` on `node:crypto`, one-shot where the runtime has `hash`. */
const syncSha256: ((value: string) => string) | undefined = (() => {
  const node = nodeCrypto;
  if (node === undefined) return undefined;
  const { hash } = node;
  if (typeof hash === 'function') return (value) => hash('sha256', value, 'base64url');
  return (value) => node.createHash('sha256').update(value).digest('base64url');
})();

/** base64url SHA-256 of `value`: how codes and refresh tokens are stored (never in the clear). */
export async function sha256Base64url(value: string): Promise<string> {
  if (syncSha256 !== undefined) return syncSha256(value);
  return base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(value))));
}

/** Compares two strings in time that depends only on their lengths. */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  let difference = left.length ^ right.length;
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    difference |= (left[index] ?? 0) ^ (right[index] ?? 0);
  }
  return difference === 0;
}

/** True when `verifier` matches the PKCE S256 `challenge` (RFC 7636 §4.6). */
export async function pkceS256Matches(verifier: string, challenge: string): Promise<boolean> {
  return timingSafeEqualStrings(await sha256Base64url(verifier), challenge);
}

/** RFC 7636 §4.1: a code verifier is 43 to 128 unreserved characters. */
export const CODE_VERIFIER_PATTERN = /^[A-Za-z0-9._~-]{43,128}$/;
/** An S256 code challenge is the 43-character base64url of a SHA-256 digest. */
export const S256_CHALLENGE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
