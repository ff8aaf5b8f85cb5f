/**
 * Drops a client document and key sets from the shared tier of the caches (the store's cache),
 * so the next instance that needs them fetches them again, and records the purge in the store's
 * purge log, from which every running authorization server drops its in-process copies within
 * its poll interval (`cachePurgePollMs`, 5 s by default): what `cimd admin cache purge` does.
 *
 * @module
 */
import type { Store } from '../../store/store.js';
import { JWKS_CACHE_KEY_PREFIX } from '../auth/jwks-store-tier.js';
import { DEFAULT_DOCUMENT_CACHE, parseSharedRecord } from './document-cache.js';
import { recordCachePurge } from './purge-log.js';

/** What {@link purgeSharedClientCache} dropped. */
export interface PurgedCacheEntries {
  /** Whether a cached document was stored for the URL. */
  document: boolean;
  /**
   * The key set URLs whose cached entries were dropped: the URL itself (it may be a `jwks_uri`)
   * and the `jwks_uri` of the cached document, when it names one; each only when it was stored.
   */
  jwks: string[];
}

function jwksUriOf(text: string): string | undefined {
  try {
    const document = JSON.parse(text) as { jwks_uri?: unknown } | null;
    return typeof document?.jwks_uri === 'string' ? document.jwks_uri : undefined;
  } catch {
    return undefined;
  }
}

/** Options of {@link purgeSharedClientCache}. */
export interface PurgeOptions {
  /** The document cache's key prefix. Default `'cimd:doc:'` (the server's default). */
  keyPrefix?: string;
  /** The clock, epoch ms: when the purge is recorded as made. Default `Date.now`. */
  now?: () => number;
}

/**
 * Drops the cached document of `url` (a `client_id`) and the cached key sets of `url` and of
 * the document's `jwks_uri` from `store`'s cache, then records the purge in the store's purge
 * log (always, even when nothing was in the shared cache: running instances may still hold a
 * copy). Running servers drop their in-process copies when they next read the log.
 *
 * @throws CimdError `ERR_STORE_CONFLICT` when the purge could not be recorded (the log kept
 *   changing under it); the shared copies are dropped by then.
 */
export async function purgeSharedClientCache(
  store: Pick<Store, 'cacheGet' | 'cacheDelete' | 'getState' | 'putState'>,
  url: string,
  options: PurgeOptions = {},
): Promise<PurgedCacheEntries> {
  const keyPrefix = options.keyPrefix ?? DEFAULT_DOCUMENT_CACHE.keyPrefix;
  const stored = await store.cacheGet(keyPrefix + url);
  const record = stored === undefined ? undefined : parseSharedRecord(stored, url);
  if (stored !== undefined) await store.cacheDelete(keyPrefix + url);
  const jwksUrls = new Set([url]);
  const jwksUri = record === undefined ? undefined : jwksUriOf(record.text);
  if (jwksUri !== undefined) jwksUrls.add(jwksUri);
  const jwks: string[] = [];
  for (const jwksUrl of jwksUrls) {
    if ((await store.cacheGet(JWKS_CACHE_KEY_PREFIX + jwksUrl)) === undefined) continue;
    await store.cacheDelete(JWKS_CACHE_KEY_PREFIX + jwksUrl);
    jwks.push(jwksUrl);
  }
  const alsoJwks = jwksUri === undefined || jwksUri === url ? [] : [jwksUri];
  await recordCachePurge(store, url, alsoJwks, (options.now ?? Date.now)());
  return { document: stored !== undefined, jwks };
}
