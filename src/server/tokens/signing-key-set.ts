/**
 * The server's signing key set as it is stored: every key with its private JWK, when it was
 * created and, once a successor took over, when it was retired. Serialized as JSON by
 * {@link serializeSigningKeySet}; {@link parseSigningKeySet} checks what it reads back.
 *
 * @module
 */
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { InvalidOptionError } from '../../errors.js';
import {
  generateSigningKeyPair,
  isServerSigningAlgorithm,
  type ServerSigningAlgorithm,
} from './signing-algorithms.js';

/** One stored key. */
export interface StoredSigningKey {
  /** The RFC 7638 SHA-256 thumbprint of the public key, base64url. */
  kid: string;
  alg: ServerSigningAlgorithm;
  /** The private JWK (with its public members). Secret: never published, never logged. */
  privateJwk: JWK;
  /** Epoch ms the key was generated and became the signing key. */
  createdAt: number;
  /** Epoch ms a successor took over; absent for the current key. */
  retiredAt?: number;
}

/** The stored key set. The current key is the one without `retiredAt`. */
export interface StoredSigningKeySet {
  version: 1;
  keys: StoredSigningKey[];
}

/** The public members of each key type (RFC 7518 §6). Everything else is dropped on publication. */
const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['kty', 'crv', 'x', 'y'],
  RSA: ['kty', 'n', 'e'],
  OKP: ['kty', 'crv', 'x'],
};

/**
 * The public JWK of `jwk` (public or private), with only the key type's public members plus
 * `kid`, `alg` and `use: "sig"`. Private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`)
 * can never pass: members are picked from an allowlist, not removed from a denylist.
 */
export function publicJwkOf(jwk: JWK, kid: string, alg: ServerSigningAlgorithm): JWK {
  const members = PUBLIC_MEMBERS[jwk.kty ?? ''];
  if (members === undefined) throw new InvalidOptionError(`signing key ${kid} has unsupported kty`);
  const out: Record<string, unknown> = {};
  for (const member of members) {
    const value = (jwk as Record<string, unknown>)[member];
    if (typeof value === 'string') out[member] = value;
  }
  return { ...out, kid, alg, use: 'sig' } as JWK;
}

/** Generates a new key for `alg`, created at `now` (epoch ms). */
export async function generateStoredSigningKey(
  alg: ServerSigningAlgorithm,
  now: number,
): Promise<StoredSigningKey> {
  const { privateKey } = await generateSigningKeyPair(alg);
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(privateJwk, 'sha256');
  return { kid, alg, privateJwk, createdAt: now };
}

/** The JSON text of `set`. It holds private keys: store it where only the server can read it. */
export function serializeSigningKeySet(set: StoredSigningKeySet): string {
  return JSON.stringify(set);
}

function unreadable(detail: string): never {
  throw new InvalidOptionError(
    `the signing key storage holds an unreadable key set (${detail}); fix or delete it (deleting it invalidates every token it signed)`,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseKey(value: unknown, index: number): StoredSigningKey {
  if (!isRecord(value)) unreadable(`keys[${index}] is not an object`);
  const { kid, alg, privateJwk, createdAt, retiredAt } = value;
  if (typeof kid !== 'string' || kid === '') unreadable(`keys[${index}].kid is not a string`);
  if (!isServerSigningAlgorithm(alg)) unreadable(`keys[${index}].alg is not a supported algorithm`);
  if (!isRecord(privateJwk) || typeof privateJwk.kty !== 'string' || typeof privateJwk.d !== 'string') {
    unreadable(`keys[${index}].privateJwk is not a private JWK`);
  }
  if (typeof createdAt !== 'number' || !Number.isFinite(createdAt)) {
    unreadable(`keys[${index}].createdAt is not a number`);
  }
  const key: StoredSigningKey = { kid, alg, privateJwk: privateJwk as JWK, createdAt };
  if (retiredAt !== undefined) {
    if (typeof retiredAt !== 'number' || !Number.isFinite(retiredAt)) {
      unreadable(`keys[${index}].retiredAt is not a number`);
    }
    key.retiredAt = retiredAt;
  }
  return key;
}

/**
 * Parses what {@link serializeSigningKeySet} wrote.
 *
 * @throws InvalidOptionError when the text is not a key set of this format (version 1).
 */
export function parseSigningKeySet(text: string): StoredSigningKeySet {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    unreadable('not JSON');
  }
  if (!isRecord(value) || value.version !== 1 || !Array.isArray(value.keys)) {
    unreadable('expected {"version":1,"keys":[...]}');
  }
  return { version: 1, keys: value.keys.map(parseKey) };
}

/** The current (signing) key of `set`: the newest key without `retiredAt`. */
export function currentKeyOf(set: StoredSigningKeySet): StoredSigningKey | undefined {
  let current: StoredSigningKey | undefined;
  for (const key of set.keys) {
    if (key.retiredAt === undefined && (current === undefined || key.createdAt > current.createdAt)) {
      current = key;
    }
  }
  return current;
}
