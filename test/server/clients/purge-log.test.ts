/**
 * The cache purge log in the store's durable state, on real stores: it stays bounded (count and
 * age), concurrent purges through separate connections are all recorded once each (compare-and-set),
 * and a watcher hands each new purge over once, in order, or says "forget everything" when
 * purges it never saw already left the log or the log was reset.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/errors.js';
import { purgeSharedClientCache } from '../../../src/server/clients/cache-purge.js';
import {
  CACHE_PURGE_STATE,
  type CachePurge,
  PURGE_LOG_LIMITS,
  parsePurgeLog,
  recordCachePurge,
} from '../../../src/server/clients/purge-log.js';
import { type CachePurgeWatcher, watchCachePurges } from '../../../src/server/clients/purge-watcher.js';
import { createAuthorizationServer, devLogin } from '../../../src/server/index.js';
import { createMemoryStore } from '../../../src/store/memory/memory-store.js';
import type { Store } from '../../../src/store/store.js';
import { BACKENDS } from './shared-stores.js';

const HOUR = 3_600_000;
const url = (n: number) => `https://app${n}.example.com/client.json`;

async function logOf(store: Store) {
  return parsePurgeLog(await store.getState(CACHE_PURGE_STATE));
}

describe('the purge log stays bounded (memory, default bounds)', () => {
  it('keeps the newest 1000 purges when more are made', { timeout: 60_000 }, async () => {
    const store = createMemoryStore();
    const made = PURGE_LOG_LIMITS.maxEntries + 5;
    for (let n = 1; n <= made; n += 1) await purgeSharedClientCache(store, url(n));
    const log = await logOf(store);
    expect(log.seq).toBe(made);
    expect(log.purges).toHaveLength(PURGE_LOG_LIMITS.maxEntries);
    expect(log.purges[0]?.url).toBe(url(made - PURGE_LOG_LIMITS.maxEntries + 1));
    expect(log.purges.at(-1)).toMatchObject({ seq: made, url: url(made), jwks: [] });
    await store.close();
  });

  it('drops purges older than a day', async () => {
    const store = createMemoryStore();
    const start = Date.now();
    await purgeSharedClientCache(store, url(1), { now: () => start });
    await purgeSharedClientCache(store, url(2), { now: () => start + HOUR });
    await purgeSharedClientCache(store, url(3), { now: () => start + PURGE_LOG_LIMITS.maxAgeMs + 2 * HOUR });
    const log = await logOf(store);
    expect(log.seq).toBe(3);
    expect(log.purges.map((purge) => purge.url)).toEqual([url(3)]);
    await store.close();
  });
});

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`the purge log on ${backend.name}`, () => {
    it('records concurrent purges from separate connections once each, and stays within its bound', {
      timeout: 60_000,
    }, async () => {
      const shared = await backend.open();
      try {
        const stores = await Promise.all([0, 1, 2, 3].map(() => shared.connect()));
        const limits = { maxEntries: 12, maxAgeMs: PURGE_LOG_LIMITS.maxAgeMs };
        const count = 16;
        const recorded = await Promise.all(
          Array.from({ length: count }, (_, n) =>
            recordCachePurge(stores[n % stores.length] as Store, url(n), [], Date.now(), limits),
          ),
        );
        expect(new Set(recorded.map((purge) => purge.seq)).size).toBe(count);
        const log = await logOf(stores[0] as Store);
        expect(log.seq).toBe(count);
        expect(log.purges.map((purge) => purge.seq)).toEqual(
          Array.from({ length: limits.maxEntries }, (_, n) => count - limits.maxEntries + n + 1),
        );
        for (const purge of log.purges) {
          expect(recorded.find((made) => made.seq === purge.seq)?.url).toBe(purge.url);
        }
      } finally {
        await shared.dispose();
      }
    });
  });
}

describe('watchCachePurges', () => {
  let watcher: CachePurgeWatcher | undefined;
  afterEach(() => watcher?.close());

  function watch(store: Store) {
    const seen: CachePurge[] = [];
    let everything = 0;
    watcher = watchCachePurges({
      store,
      intervalMs: HOUR, // read by hand with poll()
      forget: (purge) => seen.push(purge),
      forgetAll: () => {
        everything += 1;
      },
    });
    return { seen, everything: () => everything, poll: (watcher as CachePurgeWatcher).poll };
  }

  it('hands over each new purge once, in order', async () => {
    const store = createMemoryStore();
    await recordCachePurge(store, url(1), [], Date.now());
    const watching = watch(store);
    await watching.poll();
    expect(watching.seen.map((purge) => purge.url)).toEqual([url(1)]);
    await recordCachePurge(store, url(2), ['https://app2.example.com/jwks.json'], Date.now());
    await recordCachePurge(store, url(3), [], Date.now());
    await watching.poll();
    await watching.poll();
    expect(watching.seen.map((purge) => [purge.url, purge.jwks])).toEqual([
      [url(1), []],
      [url(2), ['https://app2.example.com/jwks.json']],
      [url(3), []],
    ]);
    expect(watching.everything()).toBe(0);
    await store.close();
  });

  it('forgets everything when purges it never saw already left the log', async () => {
    const store = createMemoryStore();
    const watching = watch(store);
    await watching.poll();
    const limits = { maxEntries: 2, maxAgeMs: PURGE_LOG_LIMITS.maxAgeMs };
    for (let n = 1; n <= 4; n += 1) await recordCachePurge(store, url(n), [], Date.now(), limits);
    await watching.poll();
    expect(watching.everything()).toBe(1);
    expect(watching.seen).toEqual([]);
    await recordCachePurge(store, url(5), [], Date.now(), limits);
    await watching.poll();
    expect(watching.seen.map((purge) => purge.url)).toEqual([url(5)]);
    await store.close();
  });

  it('forgets everything when the log was reset (its number went back)', async () => {
    const store = createMemoryStore();
    for (let n = 1; n <= 3; n += 1) await recordCachePurge(store, url(n), [], Date.now());
    const watching = watch(store);
    await watching.poll();
    await store.putState(CACHE_PURGE_STATE, 'garbled');
    await watching.poll();
    expect(watching.everything()).toBe(1);
    await store.close();
  });

  it('refuses a poll interval that is not a positive whole number of milliseconds', () => {
    const store = createMemoryStore();
    for (const intervalMs of [0, -1, 1.5, Number.NaN]) {
      expect(() => watchCachePurges({ store, intervalMs, forget: () => {}, forgetAll: () => {} })).toThrow(
        InvalidOptionError,
      );
    }
    const server = (cachePurgePollMs: number) =>
      createAuthorizationServer({
        issuer: 'http://127.0.0.1:4000',
        resources: ['http://127.0.0.1:4001/mcp'],
        store,
        authenticator: devLogin(),
        cachePurgePollMs,
      });
    expect(() => server(-5)).toThrow(/cachePurgePollMs/);
    expect(() => server(2.5)).toThrow(/cachePurgePollMs/);
  });
});
