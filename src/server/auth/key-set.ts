/**
 * A client's public key set, vetted once and ready to verify with: the JWK Set must pass
 * `lintJwks` (public signing keys only, each with a unique `kid`), and jose's local JWK Set
 * picks the key by `alg` and `kid`.
 *
 * @module
 */
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  type JSONWebKeySet,
  type JWK,
  type LocalJWKSet,
} from 'jose';
import { lintJwks } from '../../document/jwks-lint.js';
import { CimdError } from '../../errors.js';

/** A vetted key set. */
export interface ClientKeySet {
  /** The JWK Set as published. */
  readonly jwks: JSONWebKeySet;
  /** jose's key selector over it (by `alg`, `kid`, `use`, `key_ops`). */
  readonly getKey: LocalJWKSet;
  /** The `kid` of every key. */
  readonly kids: ReadonlySet<string>;
}

/**
 * Vets a parsed JWK Set and prepares it for verification. `where` names its origin in messages,
 * e.g. `"the client's jwks"`.
 *
 * @throws CimdError `ERR_CLIENT_KEYS` naming the first lint rule the set breaks (a private
 *   member, a missing or repeated `kid`, a symmetric key, ...); the message holds no key material.
 */
export function buildKeySet(value: unknown, where: string): ClientKeySet {
  const errors = lintJwks(value, { path: '$' }).filter((finding) => finding.severity === 'error');
  const first = errors[0];
  if (first !== undefined) {
    throw new CimdError(
      'ERR_CLIENT_KEYS',
      `${where} is refused (${first.id} at ${first.path}): ${first.message}`,
    );
  }
  const jwks = value as JSONWebKeySet;
  let getKey: LocalJWKSet;
  try {
    getKey = createLocalJWKSet(jwks);
  } catch (cause) {
    throw new CimdError('ERR_CLIENT_KEYS', `${where} is not a valid JWK Set`, { cause });
  }
  const kids = new Set(jwks.keys.map((key) => key.kid).filter((kid) => kid !== undefined));
  return { jwks, getKey, kids };
}

const thumbprintCache = new WeakMap<ClientKeySet, Promise<Map<string, JWK>>>();

/**
 * The RFC 7638 SHA-256 thumbprints of the set's keys, each mapped to its key. Computed once per
 * set; keys jose cannot fingerprint are left out.
 */
export function thumbprintsOf(set: ClientKeySet): Promise<Map<string, JWK>> {
  let pending = thumbprintCache.get(set);
  if (pending === undefined) {
    pending = Promise.all(
      set.jwks.keys.map(async (key) => {
        try {
          return [await calculateJwkThumbprint(key, 'sha256'), key] as const;
        } catch {
          return undefined;
        }
      }),
    ).then((entries) => new Map(entries.filter((entry) => entry !== undefined)));
    thumbprintCache.set(set, pending);
  }
  return pending;
}
