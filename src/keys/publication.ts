/**
 * What is published: compares a key set with the JWKS actually served at its `jwksUri`. Pure; the
 * fetch is `fetchPublishedJwks`.
 *
 * @module
 */
import { type Finding, lintJwks } from '../index.js';
import type { KeySet, KeyState, StoredKey } from './key-set.js';
import { privateMembersOf, samePublicKey } from './public-jwk.js';

/** Whether one local key is served: `yes`, `no`, or `mismatch` (its kid is served with other key material). */
export type KeyPublication = 'yes' | 'no' | 'mismatch';

/** What {@link comparePublication} found. */
export interface PublicationReport {
  /** Each local key (current, next, previous) and whether it is served. */
  keys: { kid: string; state: KeyState; published: KeyPublication }[];
  /** The `kid`s served that the key set does not know (`null` for a served key without a kid). */
  unknownKids: (string | null)[];
  /** Served keys that carry private members: the private key has leaked and must be replaced. */
  leaked: { kid: string | null; members: string[] }[];
  /** Every error the JWKS linter found in the served set (CIMD-KEY-01..10), leaks included. */
  findings: Finding[];
}

function servedKeys(jwks: unknown): Record<string, unknown>[] {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys))
    return [];
  return (jwks as { keys: unknown[] }).keys.filter(
    (key): key is Record<string, unknown> => typeof key === 'object' && key !== null && !Array.isArray(key),
  );
}

/** Whether `key` is served in `jwks`: a key with the same `kid` and the same public key material. */
export function keyPublication(jwks: unknown, key: Pick<StoredKey, 'kid' | 'privateJwk'>): KeyPublication {
  const served = servedKeys(jwks).filter((candidate) => candidate.kid === key.kid);
  if (served.length === 0) return 'no';
  return served.some((candidate) => samePublicKey(key.privateJwk as Record<string, unknown>, candidate))
    ? 'yes'
    : 'mismatch';
}

/** Compares `set` with `jwks`, the parsed JWK Set served at its `jwksUri`. */
export function comparePublication(set: KeySet, jwks: unknown): PublicationReport {
  const known = new Set(set.keys.map((key) => key.kid));
  const served = servedKeys(jwks);
  return {
    keys: set.keys.map((key) => ({ kid: key.kid, state: key.state, published: keyPublication(jwks, key) })),
    unknownKids: served
      .map((key) => (typeof key.kid === 'string' ? key.kid : null))
      .filter((kid) => kid === null || !known.has(kid)),
    leaked: served
      .map((key) => ({ kid: typeof key.kid === 'string' ? key.kid : null, members: privateMembersOf(key) }))
      .filter((entry) => entry.members.length > 0),
    findings: lintJwks(jwks, { path: '$' }).filter((finding) => finding.severity === 'error'),
  };
}
