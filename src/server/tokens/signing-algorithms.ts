/**
 * The algorithms the authorization server may sign its access tokens with, and how a key for
 * each is generated. Asymmetric only: resource servers verify with the published public key.
 *
 * @module
 */
import { type CryptoKey, generateKeyPair } from 'jose';
import { InvalidOptionError } from '../../errors.js';

/** An algorithm the server signs access tokens with. */
export type ServerSigningAlgorithm = 'ES256' | 'RS256' | 'PS256' | 'EdDSA';

/** Every {@link ServerSigningAlgorithm}, in a stable order (for messages). */
export const SERVER_SIGNING_ALGORITHMS: readonly ServerSigningAlgorithm[] = Object.freeze([
  'ES256',
  'RS256',
  'PS256',
  'EdDSA',
]);

/**
 * Every JWS algorithm a verifier of this server may be told to accept for tokens and proofs that
 * others sign (access tokens at a resource server, DPoP proofs): asymmetric signatures only, so a
 * shared secret can never verify anything.
 */
export const ASYMMETRIC_JWS_ALGORITHMS: ReadonlySet<string> = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);

/** The default signing algorithm: ECDSA on P-256 (small tokens, cheap signing). */
export const DEFAULT_SERVER_SIGNING_ALGORITHM: ServerSigningAlgorithm = 'ES256';

/** The RSA modulus length of generated RS256/PS256 keys, in bits. */
export const RSA_MODULUS_LENGTH = 2048;

/** True when `value` is a {@link ServerSigningAlgorithm}. */
export function isServerSigningAlgorithm(value: unknown): value is ServerSigningAlgorithm {
  return typeof value === 'string' && (SERVER_SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

/**
 * Throws {@link InvalidOptionError} unless `alg` is a {@link ServerSigningAlgorithm}.
 *
 * @returns `alg`, narrowed.
 */
export function assertServerSigningAlgorithm(alg: unknown, name = 'alg'): ServerSigningAlgorithm {
  if (isServerSigningAlgorithm(alg)) return alg;
  throw new InvalidOptionError(
    `${name} must be one of ${SERVER_SIGNING_ALGORITHMS.join(', ')}; got ${JSON.stringify(alg)}`,
  );
}

/** Generates an extractable key pair for `alg` (Ed25519 for EdDSA, 2048-bit RSA for RS/PS). */
export function generateSigningKeyPair(
  alg: ServerSigningAlgorithm,
): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> {
  switch (alg) {
    case 'EdDSA':
      return generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    case 'RS256':
    case 'PS256':
      return generateKeyPair(alg, { modulusLength: RSA_MODULUS_LENGTH, extractable: true });
    default:
      return generateKeyPair(alg, { extractable: true });
  }
}
