/**
 * The cache of key sets fetched from clients' `jwks_uri`: fetched through the SSRF-safe fetcher
 * (64 KiB cap), kept for their RFC 9111 freshness clamped to bounds, in an in-process LRU and
 * optionally in the store's shared cache, revalidated with `ETag` / `Last-Modified`, one fetch
 * in flight per URL, and refetched early at most once per cooldown when an assertion names a
 * `kid` the set lacks (PKJ-14). Fails closed: a set that cannot be (re)loaded is not served stale.
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import { InvalidOptionError } from '../../errors.js';
import { JWKS_MAX_BYTES, type SafeFetcher, type SafeFetchResponse } from '../../fetch/index.js';
import type { Store } from '../../store/store.js';
import {
  assertCacheBounds,
  type CacheBounds,
  conditionalHeaders,
  freshnessTtlMs,
  mergeNotModifiedHeaders,
  type Validators,
  validatorsOf,
} from '../cache/http-freshness.js';
import type { EmitEvent } from '../events.js';
import { createSharedKeySetTier } from './jwks-store-tier.js';
import { buildKeySet, type ClientKeySet, thumbprintsOf } from './key-set.js';

/**
 * Default freshness bounds of a fetched key set: at least 60 s, at most 1 h. The upper bound is
 * lower than a document's (24 h) so that a key the client removed stops verifying within an hour
 * whatever its host's caching headers say.
 */
export const DEFAULT_JWKS_CACHE_BOUNDS: Readonly<CacheBounds> = Object.freeze({
  minTtlMs: 60_000,
  maxTtlMs: 3_600_000,
});

/** Default minimum time between two fetches of one `jwks_uri` caused by an unknown `kid`: 30 s. */
export const DEFAULT_KID_REFETCH_COOLDOWN_MS = 30_000;

/** Default number of key sets kept in process: 1000. */
export const DEFAULT_MAX_CACHED_KEY_SETS = 1000;

/** Response headers kept with a cached set: what freshness and revalidation need. */
const KEPT_HEADERS = ['cache-control', 'expires', 'pragma', 'etag', 'last-modified'];

/** Options of {@link createJwksCache}. */
export interface JwksCacheOptions {
  /** The SSRF-safe fetcher `jwks_uri` is fetched with (its `timeoutMs` applies). Required. */
  fetcher: SafeFetcher;
  /**
   * A shared cache tier (`cacheGet` / `cacheSet` of the server's store), so every instance
   * sharing the store reuses one fetch. Default: none (in-process only). A failing tier is
   * treated as a miss.
   */
  store?: Pick<Store, 'cacheGet' | 'cacheSet'>;
  /** Freshness bounds, ms. Default {@link DEFAULT_JWKS_CACHE_BOUNDS} (60 s .. 1 h). */
  bounds?: CacheBounds;
  /**
   * Minimum time between fetching a set and fetching it again because an assertion named an
   * unknown `kid`, ms. Default {@link DEFAULT_KID_REFETCH_COOLDOWN_MS} (30 000). `0` disables it.
   */
  kidRefetchCooldownMs?: number;
  /** Size cap of a key set, bytes, inclusive. Default {@link JWKS_MAX_BYTES} (65 536). */
  maxBytes?: number;
  /** Key sets kept in process (least recently used dropped first). Default 1000. */
  maxEntries?: number;
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Receives `fetch.completed` and `cache.lookup` events (target `jwks`). Default: none. */
  emit?: EmitEvent;
}

/** A key set loaded from a `jwks_uri`. */
export interface CachedKeySet {
  /** The vetted set. */
  readonly keySet: ClientKeySet;
  /** When the set was last fetched or revalidated from its host, epoch ms. */
  readonly fetchedAt: number;
  /** Until when it is used without asking the host again, epoch ms. */
  readonly freshUntil: number;
}

/** The `jwks_uri` key-set cache; see {@link createJwksCache}. */
export interface JwksCache {
  /**
   * The key set at `url`: the cached one while fresh, otherwise fetched (or revalidated).
   * `clientId` names the client asking, for the `client.keys_changed` event a refetched set
   * with other keys reports.
   *
   * @throws FetchError when the fetch fails; CimdError `ERR_CLIENT_KEYS` when the set is refused.
   */
  get(url: string, clientId?: string): Promise<CachedKeySet>;
  /**
   * After an assertion named a `kid` the set at `url` lacks: fetches the set again unless it was
   * fetched less than the cooldown ago, in which case it resolves `undefined` (nothing new).
   *
   * @throws like {@link JwksCache.get}.
   */
  refreshForUnknownKid(url: string, clientId?: string): Promise<CachedKeySet | undefined>;
  /**
   * Forgets the in-process copy of the set at `url`, or of every set without an argument (the
   * shared tier is left as it is): the next {@link JwksCache.get} reads the shared tier or fetches.
   */
  forget(url?: string): void;
}

/** One entry: the set, and what its revalidation needs. */
interface Entry extends CachedKeySet {
  headers: Record<string, string>;
  validators: Validators;
}

function checkInteger(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < min)) {
    throw new InvalidOptionError(`${name} must be an integer of at least ${min}; got ${String(value)}`);
  }
}

function keptHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = headers[name];
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}

/**
 * Creates a `jwks_uri` key-set cache. Freshness is the response's `Cache-Control` max-age /
 * `Expires` clamped to `bounds`; `no-store` and `no-cache` mean the lower bound. A stale set is
 * revalidated with its validators (a 304 renews it); a set that fails to load is never served
 * stale. Every fetched set is vetted with `lintJwks`: one with a private member, no `kid` or a
 * symmetric key is refused.
 *
 * @throws InvalidOptionError for invalid options.
 */
export function createJwksCache(options: JwksCacheOptions): JwksCache {
  if (typeof options?.fetcher?.fetch !== 'function') {
    throw new InvalidOptionError('fetcher must be a SafeFetcher (createSafeFetcher from mcp-cimd/fetch)');
  }
  const bounds = options.bounds ?? DEFAULT_JWKS_CACHE_BOUNDS;
  assertCacheBounds(bounds, 'jwksCacheBounds');
  checkInteger('kidRefetchCooldownMs', options.kidRefetchCooldownMs, 0);
  checkInteger('maxBytes', options.maxBytes, 1);
  checkInteger('maxEntries', options.maxEntries, 1);
  const { fetcher, store } = options;
  const cooldownMs = options.kidRefetchCooldownMs ?? DEFAULT_KID_REFETCH_COOLDOWN_MS;
  const maxBytes = options.maxBytes ?? JWKS_MAX_BYTES;
  const now = options.now ?? Date.now;
  const emit: EmitEvent = options.emit ?? (() => {});
  const entries = new LRUCache<string, Entry>({ max: options.maxEntries ?? DEFAULT_MAX_CACHED_KEY_SETS });
  const inFlight = new Map<string, Promise<Entry>>();

  const shared = store === undefined ? undefined : createSharedKeySetTier(store);

  const readShared = async (url: string): Promise<Entry | undefined> => {
    const stored = await shared?.read(url);
    if (stored === undefined) return undefined;
    try {
      const { headers, fetchedAt, freshUntil } = stored;
      const keySet = buildKeySet(stored.jwks, 'the key set');
      return { keySet, headers, validators: validatorsOf(headers), fetchedAt, freshUntil };
    } catch {
      return undefined;
    }
  };

  const writeShared = (url: string, entry: Entry): Promise<void> =>
    shared?.write(url, {
      jwks: entry.keySet.jwks,
      headers: entry.headers,
      fetchedAt: entry.fetchedAt,
      freshUntil: entry.freshUntil,
    }) ?? Promise.resolve();

  const entryFrom = (url: string, response: SafeFetchResponse, previous: Entry | undefined): Entry => {
    const at = now();
    if (response.status === 304 && previous !== undefined) {
      const headers = keptHeaders(mergeNotModifiedHeaders(previous.headers, response.headers));
      const freshUntil = at + freshnessTtlMs(url, headers, bounds, at);
      return { ...previous, headers, validators: validatorsOf(headers), fetchedAt: at, freshUntil };
    }
    const keySet = buildKeySet(response.json, 'the key set');
    const headers = keptHeaders(response.headers);
    const freshUntil = at + freshnessTtlMs(url, response.headers, bounds, at);
    return { keySet, headers, validators: validatorsOf(headers), fetchedAt: at, freshUntil };
  };

  /** Reports `client.keys_changed` when a refetched set holds other keys than `previous`. */
  const reportKeyChanges = async (url: string, clientId: string, previous: Entry, entry: Entry) => {
    if (entry.keySet === previous.keySet) return;
    const [before, after] = await Promise.all([thumbprintsOf(previous.keySet), thumbprintsOf(entry.keySet)]);
    const keysAdded = [...after.keys()].filter((thumbprint) => !before.has(thumbprint)).sort();
    const keysRemoved = [...before.keys()].filter((thumbprint) => !after.has(thumbprint)).sort();
    if (keysAdded.length === 0 && keysRemoved.length === 0) return;
    emit({ type: 'client.keys_changed', clientId, jwksUri: url, keysAdded, keysRemoved });
  };

  const fetchFromHost = async (
    url: string,
    previous: Entry | undefined,
    clientId?: string,
  ): Promise<Entry> => {
    const headers = previous === undefined ? {} : conditionalHeaders(previous.validators);
    let response: SafeFetchResponse;
    let entry: Entry;
    try {
      response = await fetcher.fetch(url, {
        maxBytes,
        headers,
        allowNotModified: previous !== undefined,
      });
      entry = entryFrom(url, response, previous);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      emit({
        type: 'fetch.completed',
        target: 'jwks',
        outcome: 'failure',
        ...(typeof code === 'string' ? { code } : {}),
      });
      throw error;
    }
    emit({
      type: 'fetch.completed',
      target: 'jwks',
      outcome: response.status === 304 ? 'not_modified' : 'success',
    });
    if (previous !== undefined && clientId !== undefined)
      await reportKeyChanges(url, clientId, previous, entry);
    entries.set(url, entry);
    await writeShared(url, entry);
    return entry;
  };

  /** Loads `url` with one load in flight per URL; `force` skips the caches. */
  const load = (url: string, force: boolean, clientId?: string): Promise<Entry> => {
    const pending = inFlight.get(url);
    if (pending !== undefined) return pending;
    const promise = (async () => {
      const previous = entries.get(url);
      if (!force) {
        const fromStore = await readShared(url);
        if (fromStore !== undefined && now() < fromStore.freshUntil) {
          entries.set(url, fromStore);
          emit({ type: 'cache.lookup', target: 'jwks', result: 'hit' });
          return fromStore;
        }
        emit({ type: 'cache.lookup', target: 'jwks', result: 'miss' });
      }
      return fetchFromHost(url, previous, clientId);
    })().finally(() => inFlight.delete(url));
    inFlight.set(url, promise);
    return promise;
  };

  return {
    async get(url, clientId) {
      const cached = entries.get(url);
      if (cached !== undefined && now() < cached.freshUntil) {
        emit({ type: 'cache.lookup', target: 'jwks', result: 'hit' });
        return cached;
      }
      return load(url, false, clientId);
    },
    async refreshForUnknownKid(url, clientId) {
      const current = entries.get(url) ?? (await load(url, false, clientId));
      if (now() - current.fetchedAt < cooldownMs) return undefined;
      return load(url, true, clientId);
    },
    forget(url) {
      if (url === undefined) entries.clear();
      else entries.delete(url);
    },
  };
}
