/**
 * The signature algorithms a client key can be generated for, and their key shapes.
 *
 * @module
 */

/**
 * The JWS algorithms `generateClientKey` supports: ECDSA P-256 (`ES256`, the default), RSA
 * PKCS#1 v1.5 (`RS256`, the widest support), RSA-PSS (`PS256`) and Ed25519 (`EdDSA`).
 */
export type ClientKeyAlgorithm = 'ES256' | 'RS256' | 'PS256' | 'EdDSA';

/** Every {@link ClientKeyAlgorithm}, in the order the CLI lists them. */
export const CLIENT_KEY_ALGORITHMS: readonly ClientKeyAlgorithm[] = ['ES256', 'RS256', 'PS256', 'EdDSA'];

/** The default algorithm of new keys. */
export const DEFAULT_CLIENT_KEY_ALGORITHM: ClientKeyAlgorithm = 'ES256';

/** The smallest RSA modulus accepted, in bits (and the default). */
export const MIN_RSA_MODULUS_BITS = 2048;

/** True when `value` names a supported algorithm. */
export function isClientKeyAlgorithm(value: unknown): value is ClientKeyAlgorithm {
  return typeof value === 'string' && (CLIENT_KEY_ALGORITHMS as readonly string[]).includes(value);
}

/** The public members of a JWK of each key type (RFC 7518 §6, RFC 8037 §2). */
export const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['kty', 'crv', 'x', 'y'],
  RSA: ['kty', 'n', 'e'],
  OKP: ['kty', 'crv', 'x'],
};

/** The key type (and curve) each algorithm needs. */
export const KEY_SHAPE: Readonly<Record<ClientKeyAlgorithm, { kty: string; crv?: string }>> = {
  ES256: { kty: 'EC', crv: 'P-256' },
  RS256: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
};
