/**
 * Compact ECDSA JWS (`ES256`, `ES384`, `ES512`) signed and verified with `node:crypto` key
 * objects (`dsaEncoding: 'ieee-p1363'`, the JWS signature format), where the runtime offers
 * `node:crypto`: signing synchronously, verifying on the thread pool through the callback form.
 * Web Crypto, which jose uses, wraps every operation in promise and key layers on top of the
 * thread-pool hop; on the token endpoint that cost more than the signature itself. Each function
 * returns `undefined` when it cannot take the fast path (no `node:crypto`, another algorithm, a
 * key of another curve, a header with `crit` or `b64`): callers then use jose, whose checks are
 * the reference. Same bytes on the wire either way.
 *
 * @module
 */
import { decodeBase64url, encodeBase64url, NodeBuffer } from './base64url.js';
import { nodeCrypto } from './crypto.js';

/** The hash and the `node:crypto` curve name of each ECDSA JWS algorithm (RFC 7518 §3.4). */
const ECDSA: Readonly<Record<string, { hash: string; curve: string }>> = {
  ES256: { hash: 'sha256', curve: 'prime256v1' },
  ES384: { hash: 'sha384', curve: 'secp384r1' },
  ES512: { hash: 'sha512', curve: 'secp521r1' },
};

type KeyObject = ReturnType<NonNullable<typeof nodeCrypto>['KeyObject']['from']>;

/** Key objects by the Web Crypto key they were made from (a key's material never changes). */
const keyObjects = new WeakMap<CryptoKey, KeyObject | null>();

const encoder = new TextEncoder();
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The key object of `key` when it is an EC key of `alg`'s curve and of `type`, else undefined. */
function keyObjectFor(key: CryptoKey, alg: string, type: 'private' | 'public'): KeyObject | undefined {
  const spec = ECDSA[alg];
  if (nodeCrypto === undefined || spec === undefined) return undefined;
  let object = keyObjects.get(key);
  if (object === undefined) {
    try {
      object = nodeCrypto.KeyObject.from(key);
    } catch {
      object = null;
    }
    keyObjects.set(key, object);
  }
  if (object === null) return undefined;
  const fits =
    object.type === type &&
    object.asymmetricKeyType === 'ec' &&
    object.asymmetricKeyDetails?.namedCurve === spec.curve;
  return fits ? object : undefined;
}

function encodeJson(value: unknown): string {
  return encodeBase64url(JSON.stringify(value));
}

/** The UTF-8 bytes of a JWS signing input: from Node's buffer pool where there is one. */
function signingInput(input: string): Uint8Array {
  return NodeBuffer === undefined ? encoder.encode(input) : NodeBuffer.from(input, 'utf8');
}

/**
 * Signs `payload` under the protected `header` (whose `alg` is `alg`) with the private `key`;
 * undefined when the fast path does not apply (see the module documentation).
 */
export function signCompactEcdsa(
  alg: string,
  key: CryptoKey,
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
): string | undefined {
  const object = keyObjectFor(key, alg, 'private');
  const spec = ECDSA[alg];
  if (object === undefined || spec === undefined || nodeCrypto === undefined) return undefined;
  if (header.alg !== alg || 'crit' in header || 'b64' in header) return undefined;
  const input = `${encodeJson(header)}.${encodeJson(payload)}`;
  const signature = nodeCrypto.sign(spec.hash, signingInput(input), {
    key: object,
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * Verifies the signature of the compact JWS `jws` with `alg` and the public `key`. The caller
 * has already checked the header (`alg` on its allow-list, no `crit`, no `b64`) and decoded the
 * header and payload strictly. Resolves true or false for a checked signature; undefined when the
 * fast path does not apply (the caller then verifies with jose).
 *
 * The check runs on the thread pool (`node:crypto`'s callback form: one hop, without Web Crypto's
 * promise and key-wrapping layers): an ES256 verification is the largest single piece of a token
 * request, and off the event loop it no longer holds up the other requests. Signing stays
 * synchronous: a signature costs less than the hop.
 */
export function verifyCompactEcdsa(jws: string, alg: string, key: CryptoKey): Promise<boolean> | undefined {
  const object = keyObjectFor(key, alg, 'public');
  const spec = ECDSA[alg];
  const crypto = nodeCrypto;
  if (object === undefined || spec === undefined || crypto === undefined) return undefined;
  const parts = jws.split('.');
  const signature = parts[2];
  if (parts.length !== 3 || signature === undefined || !BASE64URL.test(signature)) {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    try {
      crypto.verify(
        spec.hash,
        signingInput(`${parts[0]}.${parts[1]}`),
        { key: object, dsaEncoding: 'ieee-p1363' },
        decodeBase64url(signature),
        (error, valid) => resolve(error === null && valid === true),
      );
    } catch {
      resolve(false);
    }
  });
}
