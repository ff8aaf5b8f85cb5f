/**
 * The refresh token families this server instance wrote last, by the hash of their current
 * token, so that a refresh coming back to the instance that issued its token is checked without
 * reading the family from the store first (on SQLite that read was about a tenth of a refresh
 * grant's CPU; on PostgreSQL and Redis it is a round trip).
 *
 * Why the checks may read a remembered family (see `refresh-token.ts`):
 * - the fields they read are fixed when the family is created (`familyId`, `grantId`, `clientId`,
 *   `userId`, `authMethod`, `scope`, `resources`, the DPoP key in `extra`), except
 *   `keyThumbprint`, which only a rotation of the family's current token changes: the rotation
 *   that produced the very token an entry is filed under;
 * - what can change at any time, from another instance or the admin CLI (revocation, expiry, a
 *   rotation elsewhere), is never taken from here: the store's rotation decides it atomically and
 *   answers `revoked`, `invalid` or `reused` as it would have without the cache;
 * - after the rotation the caller compares the fixed fields with the family the store returned,
 *   and fails closed (revokes the family) on any difference.
 *
 * An entry is used once (`take` removes it), lives at most {@link REFRESH_FAMILY_CACHE_TTL_MS}
 * and never past its family's expiry; the oldest entries make room when the cache is full.
 * The cache keeps its own copy of each family it is given.
 *
 * @module
 */
import type { RefreshFamilyRecord } from '../../store/store.js';
import { DPOP_JKT_EXTRA } from '../dpop/refresh-binding.js';

/** How many families the cache remembers by default (about 0.5 KiB each). */
export const DEFAULT_REFRESH_FAMILY_CACHE_SIZE = 10_000;

/** How long an entry is kept at most, in ms: 30 minutes (clients refresh when their 10-minute access token ends). */
export const REFRESH_FAMILY_CACHE_TTL_MS = 30 * 60_000;

/** Families by the hash of their current refresh token; see the module description. */
export interface RefreshFamilyCache {
  /** The family whose current token hashes to `tokenHash`, as this instance wrote it, or undefined; the entry is removed. */
  take(tokenHash: string): RefreshFamilyRecord | undefined;
  /** Files `family` under the hash of its new current token. */
  remember(tokenHash: string, family: RefreshFamilyRecord): void;
  /** How many entries are held now. */
  readonly size: number;
}

interface Entry {
  readonly family: RefreshFamilyRecord;
  /** Epoch ms after which the entry is not used. */
  readonly until: number;
}

/**
 * A copy of `family` for the cache: the caller's object (perhaps a store's) may change later,
 * and what `take` hands out is the caller's own (the entry is gone by then).
 */
function copyOf(family: RefreshFamilyRecord): RefreshFamilyRecord {
  const copy: RefreshFamilyRecord = { ...family, resources: [...family.resources] };
  if (family.extra !== undefined) copy.extra = { ...family.extra };
  return copy;
}

/**
 * Creates a cache of at most `maxEntries` families (0: a cache that remembers nothing), on the
 * clock `now` (epoch ms).
 */
export function createRefreshFamilyCache(maxEntries: number, now: () => number): RefreshFamilyCache {
  const entries = new Map<string, Entry>();
  return {
    take(tokenHash) {
      const entry = entries.get(tokenHash);
      if (entry === undefined) return undefined;
      entries.delete(tokenHash);
      return entry.until > now() ? entry.family : undefined;
    },
    remember(tokenHash, family) {
      if (maxEntries === 0) return;
      const until = Math.min(now() + REFRESH_FAMILY_CACHE_TTL_MS, family.expiresAt);
      entries.delete(tokenHash);
      entries.set(tokenHash, { family: copyOf(family), until });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
      }
    },
    get size() {
      return entries.size;
    },
  };
}

/**
 * True when `stored` (the family the store's rotation returned) agrees with `remembered` on
 * every field that never changes after creation: what the checks of a refresh read.
 */
export function sameFixedFields(remembered: RefreshFamilyRecord, stored: RefreshFamilyRecord): boolean {
  return (
    remembered.familyId === stored.familyId &&
    remembered.grantId === stored.grantId &&
    remembered.clientId === stored.clientId &&
    remembered.userId === stored.userId &&
    remembered.authMethod === stored.authMethod &&
    remembered.scope === stored.scope &&
    remembered.resources.length === stored.resources.length &&
    remembered.resources.every((resource, index) => resource === stored.resources[index]) &&
    remembered.extra?.[DPOP_JKT_EXTRA] === stored.extra?.[DPOP_JKT_EXTRA]
  );
}
