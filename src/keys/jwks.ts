/**
 * `publicJwks`: the JWK Set to publish at `jwks_uri` (or embed as `jwks`).
 *
 * @module
 */
import type { JWK } from 'jose';
import { type KeySet, orderKeys } from './key-set.js';
import { toPublicJwk } from './public-jwk.js';

/** A public JWK Set, `{ "keys": [...] }`. */
export interface PublicJwks {
  keys: JWK[];
}

/**
 * The public JWK Set of `set`: the current key, the next key (so servers know it before it signs)
 * and every previous key (so assertions it signed still verify), in that order. Each key carries
 * only its public members, `kid`, `alg` and `use: 'sig'`; no private member can be in it.
 */
export function publicJwks(set: KeySet): PublicJwks {
  return { keys: orderKeys(set.keys).map((key) => toPublicJwk(key.privateJwk)) };
}
