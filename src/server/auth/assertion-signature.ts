/**
 * Checks a client assertion's signature against the client's published keys (PKJ-10, PKJ-14):
 * one explicit algorithm, the key picked by `kid` (or, without one, every key that fits the
 * algorithm), and one early refetch of a `jwks_uri` set that lacks the `kid`.
 *
 * @module
 */
import {
  type CryptoKey,
  calculateJwkThumbprint,
  compactVerify,
  errors,
  exportJWK,
  type ProtectedHeaderParameters,
} from 'jose';
import { verifyCompactEcdsa } from '../ecdsa-jws.js';
import { InvalidClientError } from '../oauth-errors.js';
import type { ClientKeySource } from './client-keys.js';
import { type ClientKeySet, thumbprintsOf } from './key-set.js';

/** The key that verified an assertion. */
export interface VerifyingKey {
  /** The `kid` of the key: the header's, or the matching published key's when the header had none. */
  kid?: string;
  /** RFC 7638 SHA-256 thumbprint of the key, base64url. */
  thumbprint: string;
}

function signatureFailure(cause: unknown): never {
  throw new InvalidClientError(
    "the client_assertion signature does not verify with the client's published key",
    {
      cause,
    },
  );
}

/**
 * The `node:crypto` path for ECDSA (see `ecdsa-jws.ts`): jose still picks and imports the key,
 * the signature is checked by `node:crypto` directly, without Web Crypto's layers. Undefined when it does not
 * apply (a `crit` or `b64` header, no single key, another algorithm): jose then does it all.
 */
async function verifyFast(
  assertion: string,
  header: ProtectedHeaderParameters,
  keySet: ClientKeySet,
  alg: string,
): Promise<CryptoKey | undefined> {
  if (header.alg !== alg || 'crit' in header || 'b64' in header) return undefined;
  let key: CryptoKey;
  try {
    key = (await keySet.getKey(header, { payload: '', signature: '' })) as CryptoKey;
  } catch {
    return undefined;
  }
  const verified = await verifyCompactEcdsa(assertion, alg, key);
  if (verified === false) signatureFailure(new errors.JWSSignatureVerificationFailed());
  return verified === true ? key : undefined;
}

async function verifyWith(
  assertion: string,
  header: ProtectedHeaderParameters,
  keySet: ClientKeySet,
  alg: string,
  kid: string | undefined,
): Promise<CryptoKey> {
  const fast = await verifyFast(assertion, header, keySet, alg);
  if (fast !== undefined) return fast;
  const options = { algorithms: [alg] };
  try {
    return (await compactVerify(assertion, keySet.getKey, options)).key;
  } catch (error) {
    if (error instanceof errors.JWKSMultipleMatchingKeys) {
      // No kid, several keys fit the algorithm: the one that verifies wins.
      for await (const key of error) {
        try {
          await compactVerify(assertion, key, options);
          return key;
        } catch {
          // try the next one
        }
      }
      signatureFailure(error);
    }
    if (error instanceof errors.JWKSNoMatchingKey) {
      throw new InvalidClientError(
        kid === undefined
          ? `no key in the client's key set can verify ${alg}; publish one, or name the key with a "kid" header`
          : `the client's key with this kid cannot verify ${alg}; check its kty, crv, alg, use and key_ops`,
        { cause: error },
      );
    }
    if (error instanceof errors.JOSEError) signatureFailure(error);
    // jose and WebCrypto throw TypeError / DOMException for unusable key material (an RSA key
    // under 2048 bits, points off the curve, ...): the client's key, so still invalid_client.
    throw new InvalidClientError(
      "the client's published key could not be used (an RSA key must have at least 2048 bits; check the key parameters)",
      { cause: error },
    );
  }
}

/**
 * RFC 7638 thumbprints of verifying keys, per `CryptoKey` object: a `CryptoKey`'s material never
 * changes, and jose hands out the same object for a key set's JWK as long as the set lives.
 */
const thumbprints = new WeakMap<CryptoKey, Promise<string>>();

function thumbprintOf(key: CryptoKey): Promise<string> {
  let pending = thumbprints.get(key);
  if (pending === undefined) {
    pending = exportJWK(key).then((jwk) => calculateJwkThumbprint(jwk, 'sha256'));
    pending.catch(() => thumbprints.delete(key));
    thumbprints.set(key, pending);
  }
  return pending;
}

async function keyOf(key: CryptoKey, keySet: ClientKeySet, kid: string | undefined): Promise<VerifyingKey> {
  const thumbprint = await thumbprintOf(key);
  if (kid !== undefined) return { kid, thumbprint };
  const published = (await thumbprintsOf(keySet)).get(thumbprint)?.kid;
  return published === undefined ? { thumbprint } : { kid: published, thumbprint };
}

/**
 * Verifies `assertion`'s signature with `alg` and a key of `source`. When the header's `kid` is
 * not in the set, asks the source once for a newer set (the `jwks_uri` refetch, rate-limited
 * by its cooldown) before refusing.
 *
 * @throws InvalidClientError when no published key verifies the signature.
 */
export async function verifyAssertionSignature(
  assertion: string,
  header: ProtectedHeaderParameters,
  alg: string,
  source: ClientKeySource,
): Promise<VerifyingKey> {
  if (header.kid !== undefined && (typeof header.kid !== 'string' || header.kid === '')) {
    throw new InvalidClientError('the client_assertion "kid" header must be a non-empty string');
  }
  const kid = header.kid;
  let keySet = await source.current();
  if (kid !== undefined && !keySet.kids.has(kid)) {
    keySet = (await source.refreshForUnknownKid()) ?? keySet;
    if (!keySet.kids.has(kid)) {
      throw new InvalidClientError(
        "the client_assertion's kid is not in the client's key set; publish the key before signing with it",
      );
    }
  }
  const key = await verifyWith(assertion, header, keySet, alg, kid);
  return keyOf(key, keySet, kid);
}
