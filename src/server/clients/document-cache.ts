/**
 * The two cache tiers of client metadata documents: a bounded in-process LRU (entries AND
 * approximate bytes) holding validated documents, and an optional shared tier in the store
 * (`cacheGet`/`cacheSet`) holding the raw document with what its freshness is computed from, so
 * every instance sharing the store benefits from one fetch. Only valid documents are ever stored
 * (CIMD-AS-13, -14); a shared entry is validated again by the instance that reads it.
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import { InvalidOptionError } from '../../errors.js';
import type { Store } from '../../store/store.js';
import type { AcceptedDocument } from './validate-document.js';

/** Options of the document cache. */
export interface DocumentCacheOptions {
  /** Most documents kept in process. A positive integer; default 10 000. */
  maxEntries?: number;
  /**
   * Most memory the in-process tier may use, in bytes, approximated per entry as
   * 3 × the document's size + 1 KiB. A positive integer, at least 16 KiB; default 33 554 432 (32 MiB).
   */
  maxBytes?: number;
  /** Share documents through the store's cache (`cacheGet`/`cacheSet`) when a store is given. Default `true`. */
  shared?: boolean;
  /** The prefix of shared-tier keys (the key is the prefix + the `client_id` URL). Default `'cimd:doc:'`. */
  keyPrefix?: string;
}

/** Defaults of {@link DocumentCacheOptions}. */
export const DEFAULT_DOCUMENT_CACHE = Object.freeze({
  maxEntries: 10_000,
  maxBytes: 32 * 1024 * 1024,
  shared: true,
  keyPrefix: 'cimd:doc:',
});

/** Response headers kept with a document: what RFC 9111 freshness and revalidation need. */
const KEPT_HEADERS = ['cache-control', 'expires', 'date', 'age', 'pragma', 'vary', 'etag', 'last-modified'];

/** What a cached document is made of; also the JSON of a shared-tier entry (plus `v: 1`). */
export interface DocumentRecord {
  /** The `client_id` URL. */
  url: string;
  /** The body as served. */
  text: string;
  /** The body's size in bytes. */
  byteLength: number;
  /** The response headers freshness and revalidation use (see `keepHeaders`), names lower-cased. */
  headers: Record<string, string>;
  /** Epoch ms of the fetch, or of the last 304 that renewed it. */
  fetchedAt: number;
  /** Epoch ms until which it is used without asking the host. */
  freshUntil: number;
}

/**
 * What the in-process tier keeps of an accepted document: everything but the lint `notes`,
 * which nothing reads after acceptance (they cost more heap than the rest of a small document).
 */
export type CachedDocument = Omit<AcceptedDocument, 'notes'>;

/**
 * A record as the in-process tier keeps it: without the shared tier, the raw `text` is dropped
 * (the validated copy is all this instance uses); with it, the text stays, since it is what the
 * shared tier stores again after a revalidation and what a shared copy is compared with.
 */
export type InProcessRecord = Omit<DocumentRecord, 'text'> & { text?: string };

/** A validated document in the in-process tier. */
export interface CacheEntry {
  record: InProcessRecord;
  accepted: CachedDocument;
  /**
   * Epoch ms of the last fetch that found the host DOWN while this stale copy was served
   * (`serveStaleOnErrorMs`); in process only, cleared by any successful fetch.
   */
  hostDownAt?: number;
}

/** Reports a failed store operation; the cache carries on as if the shared tier had missed. */
export type StoreErrorListener = (
  error: unknown,
  operation: 'cacheGet' | 'cacheSet' | 'cacheDelete' | 'acquireLock' | 'releaseLock' | 'recordClientDocument',
) => void;

/** The prefix of the store locks that let one instance at a time fetch a URL. */
const FETCH_LOCK_PREFIX = 'fetch:';

/** The subset of response headers a record keeps. */
export function keepHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = headers[name];
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}

function positiveInteger(value: unknown, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionError(
      `cache.${name} must be a whole number of at least ${min}; got ${String(value)}`,
    );
  }
  return value;
}

/** Checks the cache options and applies defaults; throws {@link InvalidOptionError}. */
export function resolveDocumentCacheOptions(
  options: DocumentCacheOptions = {},
): Required<DocumentCacheOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('cache must be an object { maxEntries?, maxBytes?, shared?, keyPrefix? }');
  }
  if (options.shared !== undefined && typeof options.shared !== 'boolean') {
    throw new InvalidOptionError('cache.shared must be true or false');
  }
  if (options.keyPrefix !== undefined && typeof options.keyPrefix !== 'string') {
    throw new InvalidOptionError('cache.keyPrefix must be a string');
  }
  return {
    maxEntries: positiveInteger(options.maxEntries, 'maxEntries', DEFAULT_DOCUMENT_CACHE.maxEntries),
    maxBytes: positiveInteger(options.maxBytes, 'maxBytes', DEFAULT_DOCUMENT_CACHE.maxBytes, 16 * 1024),
    shared: options.shared ?? DEFAULT_DOCUMENT_CACHE.shared,
    keyPrefix: options.keyPrefix ?? DEFAULT_DOCUMENT_CACHE.keyPrefix,
  };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((entry) => typeof entry === 'string')
  );
}

/** Parses a shared-tier value; undefined when it is not a well-formed record for `url`. */
export function parseSharedRecord(value: string, url: string): DocumentRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const record = parsed as Record<string, unknown>;
  const ok =
    record.v === 1 &&
    record.url === url &&
    typeof record.text === 'string' &&
    Number.isSafeInteger(record.byteLength) &&
    isStringRecord(record.headers) &&
    Number.isFinite(record.fetchedAt) &&
    Number.isFinite(record.freshUntil);
  if (!ok) return undefined;
  return {
    url,
    text: record.text as string,
    byteLength: record.byteLength as number,
    headers: keepHeaders(record.headers as Record<string, string>),
    fetchedAt: record.fetchedAt as number,
    freshUntil: record.freshUntil as number,
  };
}

/** The two tiers; see the module documentation. */
export class DocumentCache {
  readonly #memory: LRUCache<string, CacheEntry>;
  readonly #store: Store | undefined;
  readonly #prefix: string;
  readonly #onStoreError: StoreErrorListener | undefined;

  constructor(options: Required<DocumentCacheOptions>, store?: Store, onStoreError?: StoreErrorListener) {
    this.#memory = new LRUCache<string, CacheEntry>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (entry) => 3 * entry.record.byteLength + 1024,
    });
    this.#store = options.shared ? store : undefined;
    this.#prefix = options.keyPrefix;
    this.#onStoreError = onStoreError;
  }

  /** Whether the shared tier is on. */
  get shared(): boolean {
    return this.#store !== undefined;
  }

  /** The in-process entry for `url` (fresh or not), marking it recently used. */
  get(url: string): CacheEntry | undefined {
    return this.#memory.get(url);
  }

  /** Whether the in-process tier holds `url` (fresh or not), without marking it used. */
  has(url: string): boolean {
    return this.#memory.has(url);
  }

  /** Puts a validated entry in the in-process tier only (without its raw text when there is no shared tier). */
  remember(entry: CacheEntry): void {
    if (this.#store !== undefined || entry.record.text === undefined) {
      this.#memory.set(entry.record.url, entry);
      return;
    }
    const { text: _text, ...record } = entry.record;
    this.#memory.set(record.url, { ...entry, record });
  }

  /** The shared-tier record for `url`, not yet validated; undefined on a miss or a store failure. */
  async getShared(url: string): Promise<DocumentRecord | undefined> {
    if (this.#store === undefined) return undefined;
    try {
      const value = await this.#store.cacheGet(this.#prefix + url);
      return value === undefined ? undefined : parseSharedRecord(value, url);
    } catch (error) {
      this.#onStoreError?.(error, 'cacheGet');
      return undefined;
    }
  }

  /** Stores a validated entry in both tiers; the shared copy lives `sharedTtlMs`. */
  async set(entry: CacheEntry, sharedTtlMs: number): Promise<void> {
    this.remember(entry);
    if (this.#store === undefined || entry.record.text === undefined) return;
    const value = JSON.stringify({ v: 1, ...entry.record });
    try {
      await this.#store.cacheSet(this.#prefix + entry.record.url, value, Math.max(1, Math.ceil(sharedTtlMs)));
    } catch (error) {
      this.#onStoreError?.(error, 'cacheSet');
    }
  }

  /**
   * Takes the store lock that lets one instance at a time fetch `url`, for `ttlMs`. `true` when
   * this instance may fetch: it took the lock, there is no shared tier, or the store failed (an
   * outage of the store never stops a fetch). `false` while another instance is fetching.
   */
  async claimFetch(url: string, owner: string, ttlMs: number): Promise<boolean> {
    if (this.#store === undefined) return true;
    try {
      return await this.#store.acquireLock(FETCH_LOCK_PREFIX + url, owner, ttlMs);
    } catch (error) {
      this.#onStoreError?.(error, 'acquireLock');
      return true;
    }
  }

  /** Releases what {@link claimFetch} took. */
  async releaseFetch(url: string, owner: string): Promise<void> {
    if (this.#store === undefined) return;
    try {
      await this.#store.releaseLock(FETCH_LOCK_PREFIX + url, owner);
    } catch (error) {
      this.#onStoreError?.(error, 'releaseLock');
    }
  }

  /** Forgets `url` in both tiers. */
  async delete(url: string): Promise<void> {
    this.#memory.delete(url);
    if (this.#store === undefined) return;
    try {
      await this.#store.cacheDelete(this.#prefix + url);
    } catch (error) {
      this.#onStoreError?.(error, 'cacheDelete');
    }
  }

  /**
   * Forgets `url` in the in-process tier only (the shared tier is left as it is) and returns the
   * entry it held, if any.
   */
  forget(url: string): CacheEntry | undefined {
    const entry = this.#memory.peek(url);
    this.#memory.delete(url);
    return entry;
  }

  /** Empties the in-process tier. */
  clear(): void {
    this.#memory.clear();
  }
}
