/**
 * Drops a client document and key sets from the shared tier of the caches (the store's cache),
 * so the next instance that needs them fetches them again: what `cimd admin cache purge` does.
 * Each running instance's in-process copy stays until it goes stale (its HTTP cache lifetime).
 *
 * @module
 */
import type { Store } from '../../store/store.js';
import { JWKS_CACHE_KEY_PREFIX } from '../auth/jwks-store-tier.js';
import { DEFAULT_DOCUMENT_CACHE, parseSharedRecord } from './document-cache.js';

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

/**
 * Drops the cached document of `url` (a `client_id`) and the cached key sets of `url` and of
 * the document's `jwks_uri` from `store`'s cache.
 *
 * @param keyPrefix The document cache's key prefix. Default `'cimd:doc:'` (the server's default).
 */
export async function purgeSharedClientCache(
  store: Pick<Store, 'cacheGet' | 'cacheDelete'>,
  url: string,
  keyPrefix: string = DEFAULT_DOCUMENT_CACHE.keyPrefix,
): Promise<PurgedCacheEntries> {
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
  return { document: stored !== undefined, jwks };
}
