/**
 * `--upstream-key <file>`: the private key `cimd serve` signs its `private_key_jwt` client
 * assertions to the upstream provider with. Either a key set file from `cimd keys generate` (its
 * current key signs, so `cimd keys rotate` works here as for any client) or a PKCS#8 PEM private
 * key (`-----BEGIN PRIVATE KEY-----`; its `kid` is the RFC 7638 thumbprint of the public key,
 * as `cimd keys` names keys).
 *
 * @module
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { type CryptoKey, calculateJwkThumbprint, importJWK, importPKCS8, type JWK } from 'jose';
import { currentKey } from '../../keys/key-set.js';
import { parseKeySet } from '../../keys/key-set-format.js';
import { readSecretFile } from './secret.js';

/** The key the upstream client assertions are signed with. */
export interface UpstreamSigningKey {
  /** The private key (not extractable). */
  key: CryptoKey;
  /** Its key id, sent as the assertion's `kid`. */
  kid: string;
  /** The JWS algorithm it signs with, e.g. `ES256`. */
  alg: string;
}

const PKCS8 = '-----BEGIN PRIVATE KEY-----';

/** The JWS algorithm of a private key, by its type (and curve). */
function algorithmOf(key: KeyObject): string {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return 'RS256';
  if (type === 'rsa-pss') return 'PS256';
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const alg = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' }[curve ?? ''];
    if (alg !== undefined) return alg;
  }
  throw new Error(
    `the PEM key is of a type client assertions cannot use (${type ?? 'unknown'}); use an RSA, P-256 or Ed25519 key`,
  );
}

async function fromKeySet(text: string): Promise<UpstreamSigningKey> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`it is not valid JSON (${(error as Error).message})`);
  }
  const stored = currentKey(await parseKeySet(value));
  const key = await importJWK(stored.privateJwk, stored.alg, { extractable: false });
  if (key instanceof Uint8Array) throw new Error('its current key is not an asymmetric key');
  return { key, kid: stored.kid, alg: stored.alg };
}

async function fromPem(text: string): Promise<UpstreamSigningKey> {
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(text);
  } catch (error) {
    throw new Error(`it is not a readable PKCS#8 private key (${(error as Error).message})`);
  }
  const alg = algorithmOf(keyObject);
  const key = await importPKCS8(text, alg, { extractable: false });
  const publicJwk = createPublicKey(keyObject).export({ format: 'jwk' }) as JWK;
  return { key, kid: await calculateJwkThumbprint(publicJwk, 'sha256'), alg };
}

/**
 * Reads the key at `path` (absolute).
 *
 * @throws Error saying what the file is not (the caller names the option).
 */
export async function loadUpstreamKey(path: string): Promise<UpstreamSigningKey> {
  const trimmed = await readSecretFile(path);
  try {
    if (trimmed.startsWith('{')) return await fromKeySet(trimmed);
    if (trimmed.startsWith(PKCS8)) return await fromPem(trimmed);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
  const hint = /-----BEGIN (RSA|EC) PRIVATE KEY-----/.test(trimmed)
    ? ' (convert a PKCS#1 or SEC1 key with `openssl pkcs8 -topk8 -nocrypt -in <file>`)'
    : '';
  throw new Error(
    `${path} is neither a cimd keys key set (JSON) nor a PKCS#8 PEM private key${hint}; make one with cimd keys generate`,
  );
}
