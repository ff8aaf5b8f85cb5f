/**
 * The Redis store: the contract (on a connection of its own and on the caller's client), and what
 * is particular to Redis: instances on separate connections racing for one code, one refresh
 * token and one jti; key prefixes keeping stores apart; Redis expiring what the store wrote; and
 * an unreachable or lost Redis failing calls with ERR_STORE_UNAVAILABLE instead of hanging.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isCimdError } from '../../../src/errors.js';
import type { Store } from '../../../src/store/index.js';
import { createRedisStore, type RedisStoreOptions } from '../../../src/store/redis/index.js';
import { alternating } from '../alternating.js';
import { TestClock } from '../clock.js';
import { describeStoreContract } from '../contract.js';
import {
  clientRecord,
  codeRecord,
  concurrently,
  consentRecord,
  familyRecord,
  MINUTE,
  tally,
} from '../fixtures.js';
import {
  adminClient,
  closedPort,
  closeInspector,
  deletePrefix,
  inspector,
  keysUnder,
  REDIS_URL,
  redisUrl,
  startRelay,
  uniquePrefix,
} from './redis-server.js';

afterAll(closeInspector);

describe.skipIf(REDIS_URL === undefined)('Redis store', () => {
  describeStoreContract(
    'Redis',
    async (now) => {
      const keyPrefix = uniquePrefix();
      const open = () => createRedisStore({ url: redisUrl(), keyPrefix, now });
      return { store: await open(), reopen: open, dispose: () => deletePrefix(inspector(), keyPrefix) };
    },
    { persistent: true },
  );

  describeStoreContract(
    "Redis on the caller's client",
    async (now) => {
      const keyPrefix = uniquePrefix();
      const open = () => createRedisStore({ client: inspector(), keyPrefix, now });
      return { store: await open(), reopen: open, dispose: () => deletePrefix(inspector(), keyPrefix) };
    },
    { persistent: true },
  );

  describeStoreContract(
    'Redis, two connections alternating',
    async (now) => {
      const keyPrefix = uniquePrefix();
      const open = async () =>
        alternating(
          await Promise.all([
            createRedisStore({ url: redisUrl(), keyPrefix, now }),
            createRedisStore({ url: redisUrl(), keyPrefix, now }),
          ]),
        );
      return { store: await open(), reopen: open, dispose: () => deletePrefix(inspector(), keyPrefix) };
    },
    { persistent: true },
  );

  describe('instances on separate connections', () => {
    const prefixes: string[] = [];
    const stores: Store[] = [];
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((store) => store.close()));
      for (const prefix of prefixes.splice(0)) await deletePrefix(inspector(), prefix);
    });

    async function open(options: Partial<RedisStoreOptions> = {}): Promise<Store> {
      const keyPrefix = options.keyPrefix ?? uniquePrefix();
      if (!prefixes.includes(keyPrefix)) prefixes.push(keyPrefix);
      const store = await createRedisStore({ url: redisUrl(), ...options, keyPrefix });
      stores.push(store);
      return store;
    }

    /** Two stores on two connections sharing one prefix, on the contract fixtures' clock. */
    async function twoInstances(): Promise<[Store, Store]> {
      const keyPrefix = uniquePrefix();
      const { now } = new TestClock();
      return [await open({ keyPrefix, now }), await open({ keyPrefix, now })];
    }

    it('PKCE-AS-08: of 1000 concurrent consumptions of one code over two connections exactly one wins', async () => {
      const [a, b] = await twoInstances();
      await a.saveCode('hash-race', codeRecord(), MINUTE);
      const results = await concurrently(1000, (i) => (i % 2 === 0 ? a : b).consumeCode('hash-race'));
      expect(tally(results, (r) => r.status)).toStrictEqual({ consumed: 1, reused: 999 });
    });

    it('MCP-AS-13: of 1000 concurrent rotations of one token over two connections exactly one wins', async () => {
      const [a, b] = await twoInstances();
      await b.createRefreshFamily(familyRecord(), 'rt-0');
      const results = await concurrently(1000, (i) =>
        (i % 2 === 0 ? a : b).rotateRefreshToken('rt-0', `rt-new-${i}`),
      );
      expect(tally(results, (r) => r.status)).toStrictEqual({ rotated: 1, reused: 999 });
      const winner = results.findIndex((r) => r.status === 'rotated');
      expect((await a.rotateRefreshToken(`rt-new-${winner}`, 'rt-after')).status).toBe('revoked');
    });

    it('PKJ-09: of 1000 concurrent recordings of one jti over two connections exactly one is new', async () => {
      const [a, b] = await twoInstances();
      const results = await concurrently(1000, (i) =>
        (i % 2 === 0 ? a : b).recordJti('client-a', 'jti-race', MINUTE),
      );
      expect(results.filter((isNew) => isNew)).toHaveLength(1);
    });

    it('stores with different key prefixes share nothing', async () => {
      const { now } = new TestClock();
      const [a, b] = [await open({ now }), await open({ now })];
      expect(await a.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
      expect(await b.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
      await a.saveCode('hash-1', codeRecord(), MINUTE);
      expect(await b.consumeCode('hash-1')).toStrictEqual({ status: 'invalid' });
      await a.createRefreshFamily(familyRecord(), 'rt-0');
      expect(await b.findRefreshFamily('rt-0')).toBeUndefined();
      await a.saveClient(clientRecord());
      expect(await b.getClient('dcr-7f3a')).toBeUndefined();
      await a.cacheSet('k', 'v', MINUTE);
      expect(await b.cacheGet('k')).toBeUndefined();
      expect(await a.putState('keys', 'sealed-a', null)).toBe(true);
      expect(await b.putState('keys', 'sealed-b', null)).toBe(true);
      expect(await a.getState('keys')).toBe('sealed-a');
    });

    it('Redis expires what expires, and keeps only the history, clients and state without expiry', async () => {
      const clock = new TestClock();
      const keyPrefix = uniquePrefix();
      const store = await open({ keyPrefix, now: clock.now });
      await store.recordJti('client-a', 'jti-1', MINUTE);
      await store.saveCode('hash-1', codeRecord(), MINUTE);
      await store.createRefreshFamily(familyRecord(), 'rt-0');
      await store.rotateRefreshToken('rt-0', 'rt-1');
      await store.revokeGrant('grant-other');
      await store.saveConsent(consentRecord());
      await store.cacheSet('k', 'v', MINUTE);
      await store.acquireLock('rotation', 'instance-1', MINUTE);
      await store.saveClient(clientRecord());
      await store.putState('keys', 'sealed', null);
      await store.recordClientDocument({
        clientId: 'https://app.example.com/client.json',
        fingerprint: 'fp-1',
        seenAt: clock.now(),
      });
      const redis = inspector();
      const keys = await keysUnder(redis, keyPrefix);
      const lasting = ['client:', 'state:', 'client-documents:', 'clients-by-sighting:'];
      const withoutExpiry: string[] = [];
      for (const key of keys) {
        const ttl = await redis.pttl(key);
        if (ttl === -1) withoutExpiry.push(key.slice(keyPrefix.length));
        else expect(ttl, key).toBeGreaterThan(0);
      }
      expect(withoutExpiry.map((key) => lasting.find((kind) => key.startsWith(kind)))).not.toContain(
        undefined,
      );
      expect(withoutExpiry).toHaveLength(4);
      expect(await redis.pttl(`${keyPrefix}code:hash-1`)).toBeLessThanOrEqual(MINUTE);
    });
  });

  describe('connection', () => {
    it('an unreachable Redis rejects createRedisStore with ERR_STORE_UNAVAILABLE', async () => {
      const url = `redis://127.0.0.1:${await closedPort()}`;
      const error = await createRedisStore({ url, connectTimeoutMs: 1000 }).catch((e: unknown) => e);
      expect(isCimdError(error, 'ERR_STORE_UNAVAILABLE')).toBe(true);
      expect((error as Error).message).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+ is unavailable/);
    });

    it('the message never shows the password of the URL', async () => {
      const url = `redis://user:s3cret@127.0.0.1:${await closedPort()}/2`;
      const error = await createRedisStore({ url, connectTimeoutMs: 1000 }).catch((e: unknown) => e);
      expect(isCimdError(error, 'ERR_STORE_UNAVAILABLE')).toBe(true);
      expect((error as Error).message).not.toMatch(/s3cret/);
    });

    it('calls fail with ERR_STORE_UNAVAILABLE once Redis is lost, and close() still resolves', async () => {
      const relay = await startRelay();
      const keyPrefix = uniquePrefix();
      const store = await createRedisStore({
        url: relay.url,
        keyPrefix,
        connectTimeoutMs: 500,
        commandTimeoutMs: 1000,
      });
      try {
        expect(await store.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
        await relay.cut();
        const results = await Promise.allSettled([
          store.recordJti('client-a', 'jti-2', MINUTE),
          store.consumeCode('hash-1'),
          store.getState('keys'),
        ]);
        for (const result of results) {
          expect(result.status).toBe('rejected');
          const reason = (result as PromiseRejectedResult).reason;
          expect(isCimdError(reason, 'ERR_STORE_UNAVAILABLE'), String(reason)).toBe(true);
        }
      } finally {
        await store.close();
        await deletePrefix(inspector(), keyPrefix);
      }
    });

    it("close() leaves the caller's client open, and quits a connection the store opened", async () => {
      const client = adminClient();
      try {
        const borrowed = await createRedisStore({ client, keyPrefix: uniquePrefix() });
        await borrowed.close();
        expect(await client.ping()).toBe('PONG');
      } finally {
        await client.quit();
      }
      const owned = await createRedisStore({ url: redisUrl(), keyPrefix: uniquePrefix() });
      await owned.close();
      await expect(owned.getState('x')).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' });
    });
  });
});

describe('createRedisStore options', () => {
  it.each([
    {},
    { url: 'http://127.0.0.1:6379' },
    { url: 'not a url' },
    { url: 42 },
    { url: 'redis://127.0.0.1:6379', client: {} },
    { client: {} },
    { url: 'redis://127.0.0.1:6379', keyPrefix: '' },
    { url: 'redis://127.0.0.1:6379', keyPrefix: 'cimd:*' },
    { url: 'redis://127.0.0.1:6379', keyPrefix: 7 },
    { url: 'redis://127.0.0.1:6379', now: 'yesterday' },
    { url: 'redis://127.0.0.1:6379', connectTimeoutMs: 0 },
    { url: 'redis://127.0.0.1:6379', commandTimeoutMs: 1.5 },
  ])('rejects %o before connecting', async (options) => {
    const error = await createRedisStore(options as unknown as RedisStoreOptions).catch((e: unknown) => e);
    expect(isCimdError(error, 'ERR_INVALID_OPTION'), String(error)).toBe(true);
  });

  it('rejects missing options', async () => {
    const error = await createRedisStore(undefined as unknown as RedisStoreOptions).catch((e: unknown) => e);
    expect(isCimdError(error, 'ERR_INVALID_OPTION')).toBe(true);
  });

  it("rejects a client with ioredis's own keyPrefix", async () => {
    const { Redis } = await import('ioredis');
    const client = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, keyPrefix: 'x:' });
    const error = await createRedisStore({ client }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/keyPrefix/);
    client.disconnect();
  });
});
