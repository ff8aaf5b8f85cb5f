/**
 * `generateClientKey`: a new signing key pair for `private_key_jwt`, as JWKs.
 *
 * @module
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { InvalidOptionError } from '../errors.js';
import {
  CLIENT_KEY_ALGORITHMS,
  type ClientKeyAlgorithm,
  DEFAULT_CLIENT_KEY_ALGORITHM,
  isClientKeyAlgorithm,
  MIN_RSA_MODULUS_BITS,
} from './algorithms.js';
import { toPublicJwk } from './public-jwk.js';

/** A client signing key: its private and public JWKs, both carrying `kid`, `alg` and `use: 'sig'`. */
export interface ClientKey {
  /** The RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key. */
  kid: string;
  /** The JWS algorithm the key signs with. */
  alg: ClientKeyAlgorithm;
  /** The private JWK. Keep it secret: never publish it, never log it. */
  privateJwk: JWK;
  /** The public JWK, safe to publish (public members, `kid`, `alg`, `use` only). */
  publicJwk: JWK;
}

/** Options of {@link generateClientKey}. */
export interface GenerateClientKeyOptions {
  /** The RSA modulus length, in bits, for `RS256` and `PS256`. At least 2048; default 2048. */
  modulusLength?: number;
}

/**
 * Generates a key pair for signing client assertions. The `kid` of both JWKs is the RFC 7638
 * thumbprint of the public key, so it is stable and unique; `alg` and `use: 'sig'` are set.
 *
 * @param alg - `ES256` (default: P-256, small and fast), `RS256`, `PS256` (RSA, 2048 bits unless
 *   `options.modulusLength` says more) or `EdDSA` (Ed25519).
 * @throws InvalidOptionError for another algorithm or an RSA modulus below 2048 bits.
 */
export async function generateClientKey(
  alg: ClientKeyAlgorithm = DEFAULT_CLIENT_KEY_ALGORITHM,
  options: GenerateClientKeyOptions = {},
): Promise<ClientKey> {
  if (!isClientKeyAlgorithm(alg)) {
    throw new InvalidOptionError(
      `cannot generate a key for ${JSON.stringify(alg)}; use one of ${CLIENT_KEY_ALGORITHMS.join(', ')}`,
    );
  }
  const modulusLength = options.modulusLength ?? MIN_RSA_MODULUS_BITS;
  if (
    !Number.isSafeInteger(modulusLength) ||
    modulusLength < MIN_RSA_MODULUS_BITS ||
    modulusLength % 8 !== 0
  ) {
    throw new InvalidOptionError(
      `modulusLength must be a whole number of bits, a multiple of 8, at least ${MIN_RSA_MODULUS_BITS}; got ${String(modulusLength)}`,
    );
  }
  const pair = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' || alg === 'PS256' ? { modulusLength } : {}),
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const exported = await exportJWK(pair.privateKey);
  const kid = await calculateJwkThumbprint(toPublicJwk(exported), 'sha256');
  const privateJwk: JWK = { ...exported, kid, alg, use: 'sig' };
  return { kid, alg, privateJwk, publicJwk: toPublicJwk(privateJwk) };
}
