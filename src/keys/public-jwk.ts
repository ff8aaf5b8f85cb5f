/**
 * Public JWKs from private ones, by allowlist: only the members a verifier needs are copied, so a
 * private member (`d`, `p`, `q`, ...) or any unknown member can never be published by mistake.
 *
 * @module
 */
import type { JWK } from 'jose';
import { PUBLIC_MEMBERS } from './algorithms.js';

/** JWK members that belong to a private or symmetric key (RFC 7518 §6) and must never be published. */
export const PRIVATE_JWK_MEMBERS: readonly string[] = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** The private members `jwk` carries (empty for a public key). */
export function privateMembersOf(jwk: Readonly<Record<string, unknown>>): string[] {
  return PRIVATE_JWK_MEMBERS.filter((member) => member in jwk);
}

/**
 * The public JWK of `jwk`: its key-type members (`kty`, `crv`, `x`, `y` / `n`, `e`) plus `kid`,
 * `alg` and `use` when present; nothing else.
 *
 * @throws TypeError for a key type other than EC, RSA or OKP (symmetric keys have no public half).
 */
export function toPublicJwk(jwk: Readonly<JWK>): JWK {
  const members = typeof jwk.kty === 'string' ? PUBLIC_MEMBERS[jwk.kty] : undefined;
  if (members === undefined) {
    throw new TypeError(`a ${String(jwk.kty)} key has no public half; use an EC, RSA or OKP key`);
  }
  const source = jwk as Record<string, unknown>;
  const result: Record<string, unknown> = {};
  for (const member of [...members, 'kid', 'alg', 'use']) {
    if (source[member] !== undefined) result[member] = source[member];
  }
  return result as JWK;
}

/**
 * True when two JWKs hold the same public key: equal key-type members (`kty`, `crv`, `x`, `y`,
 * `n`, `e`), whatever their other members.
 */
export function samePublicKey(
  a: Readonly<Record<string, unknown>>,
  b: Readonly<Record<string, unknown>>,
): boolean {
  const members = typeof a.kty === 'string' ? PUBLIC_MEMBERS[a.kty] : undefined;
  if (members === undefined || a.kty !== b.kty) return false;
  return members.every((member) => typeof a[member] === 'string' && a[member] === b[member]);
}
