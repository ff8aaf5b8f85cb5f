/**
 * The shared tier of the `jwks_uri` cache: fetched key sets kept in the server store's cache
 * (`cacheGet` / `cacheSet`) so every instance sharing the store reuses one fetch. A failing or
 * garbled tier is a miss, never an error: the in-process cache and the host still serve.
 *
 * @module
 */
import type { Store } from '../../store/store.js';

/** The prefix of key-set entries in the store's cache (the key is the prefix + the `jwks_uri`). */
export const JWKS_CACHE_KEY_PREFIX = 'jwks:';

/** A fetched key set as kept in the store. */
export interface StoredKeySet {
  /** The JWK Set as fetched (vetted again when read). */
  jwks: unknown;
  /** The response headers freshness and revalidation need (lower-cased names). */
  headers: Record<string, string>;
  /** When it was fetched or revalidated, epoch ms. */
  fetchedAt: number;
  /** Until when it is fresh, epoch ms. */
  freshUntil: number;
}

/** Reads and writes key sets in the store's cache. */
export interface SharedKeySetTier {
  /** The stored set for `url`, or `undefined` (absent, expired, unreadable, or the store failed). */
  read(url: string): Promise<StoredKeySet | undefined>;
  /** Stores `entry` for `url` until `entry.freshUntil`; failures are ignored. */
  write(url: string, entry: StoredKeySet): Promise<void>;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((item) => typeof item === 'string')
  );
}

function parse(text: string): StoredKeySet | undefined {
  try {
    const value = JSON.parse(text) as Partial<StoredKeySet> | null;
    if (
      typeof value !== 'object' ||
      value === null ||
      typeof value.fetchedAt !== 'number' ||
      typeof value.freshUntil !== 'number' ||
      !isStringRecord(value.headers)
    ) {
      return undefined;
    }
    return {
      jwks: value.jwks,
      headers: value.headers,
      fetchedAt: value.fetchedAt,
      freshUntil: value.freshUntil,
    };
  } catch {
    return undefined;
  }
}

/** The shared key-set tier over `store`'s cache. */
export function createSharedKeySetTier(store: Pick<Store, 'cacheGet' | 'cacheSet'>): SharedKeySetTier {
  return {
    async read(url) {
      try {
        const text = await store.cacheGet(JWKS_CACHE_KEY_PREFIX + url);
        return text === undefined ? undefined : parse(text);
      } catch {
        return undefined;
      }
    },
    async write(url, entry) {
      const ttlMs = entry.freshUntil - entry.fetchedAt;
      if (ttlMs <= 0) return;
      try {
        await store.cacheSet(JWKS_CACHE_KEY_PREFIX + url, JSON.stringify(entry), ttlMs);
      } catch {
        // An optimisation only: the in-process entry still serves.
      }
    },
  };
}
