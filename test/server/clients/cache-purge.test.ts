/**
 * `purgeSharedClientCache` (behind `cimd admin cache purge`) on a real store whose cache the
 * server's own tiers filled: the document of a `client_id` and the key set of its `jwks_uri` are
 * dropped, a key set can be purged by its own URL, and other entries stay.
 */
import { describe, expect, it } from 'vitest';
import { createSharedKeySetTier } from '../../../src/server/auth/jwks-store-tier.js';
import { purgeSharedClientCache } from '../../../src/server/clients/cache-purge.js';
import {
  type CacheEntry,
  DocumentCache,
  resolveDocumentCacheOptions,
} from '../../../src/server/clients/document-cache.js';
import { createMemoryStore } from '../../../src/store/memory/memory-store.js';

const CLIENT_ID = 'https://app.example.com/oauth/client.json';
const JWKS_URI = 'https://app.example.com/oauth/jwks.json';
const OTHER = 'https://other.example.com/client.json';

function entry(url: string, document: Record<string, unknown>): CacheEntry {
  const text = JSON.stringify(document);
  const now = Date.now();
  return {
    record: { url, text, byteLength: text.length, headers: {}, fetchedAt: now, freshUntil: now + 60_000 },
    // Only the record reaches the store's cache; the validated form stays in process.
    accepted: {} as CacheEntry['accepted'],
  };
}

async function filledStore() {
  const store = createMemoryStore();
  const cache = new DocumentCache(resolveDocumentCacheOptions({}), store);
  await cache.set(entry(CLIENT_ID, { client_id: CLIENT_ID, jwks_uri: JWKS_URI }), 60_000);
  await cache.set(entry(OTHER, { client_id: OTHER }), 60_000);
  const keySets = createSharedKeySetTier(store);
  const now = Date.now();
  await keySets.write(JWKS_URI, {
    jwks: { keys: [] },
    headers: {},
    fetchedAt: now,
    freshUntil: now + 60_000,
  });
  return { store, cache, keySets };
}

describe('purgeSharedClientCache', () => {
  it('drops the document and the key set of its jwks_uri, and nothing else', async () => {
    const { store, cache, keySets } = await filledStore();
    expect(await purgeSharedClientCache(store, CLIENT_ID)).toEqual({ document: true, jwks: [JWKS_URI] });
    expect(await cache.getShared(CLIENT_ID)).toBeUndefined();
    expect(await keySets.read(JWKS_URI)).toBeUndefined();
    expect((await cache.getShared(OTHER))?.url).toBe(OTHER);
    expect(await purgeSharedClientCache(store, CLIENT_ID)).toEqual({ document: false, jwks: [] });
  });

  it('drops a key set by its own URL', async () => {
    const { store, cache, keySets } = await filledStore();
    expect(await purgeSharedClientCache(store, JWKS_URI)).toEqual({ document: false, jwks: [JWKS_URI] });
    expect(await keySets.read(JWKS_URI)).toBeUndefined();
    expect((await cache.getShared(CLIENT_ID))?.url).toBe(CLIENT_ID);
  });
});
