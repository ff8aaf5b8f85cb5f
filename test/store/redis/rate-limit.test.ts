/**
 * The Redis rate-limit counter: fixed windows counted together by every counter on one Redis,
 * exact under concurrency, restarting in a new window, and expired by Redis when a window ends.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isCimdError } from '../../../src/errors.js';
import type { RateLimitCounter } from '../../../src/store/rate-limit.js';
import {
  createRedisRateLimitCounter,
  type RedisRateLimitCounterOptions,
} from '../../../src/store/redis/index.js';
import { START_TIME, TestClock } from '../clock.js';
import { concurrently, MINUTE } from '../fixtures.js';
import {
  closedPort,
  closeInspector,
  deletePrefix,
  inspector,
  keysUnder,
  REDIS_URL,
  redisUrl,
  uniquePrefix,
} from './redis-server.js';

afterAll(closeInspector);

describe.skipIf(REDIS_URL === undefined)('Redis rate-limit counter', () => {
  const counters: RateLimitCounter[] = [];
  const prefixes: string[] = [];
  afterEach(async () => {
    await Promise.all(counters.splice(0).map((counter) => counter.close()));
    for (const prefix of prefixes.splice(0)) await deletePrefix(inspector(), prefix);
  });

  async function open(options: Partial<RedisRateLimitCounterOptions> = {}): Promise<RateLimitCounter> {
    const keyPrefix = options.keyPrefix ?? uniquePrefix();
    prefixes.push(keyPrefix);
    const counter = await createRedisRateLimitCounter({ url: redisUrl(), ...options, keyPrefix });
    counters.push(counter);
    return counter;
  }

  it('of 200 concurrent hits on one key in one window (two connections), the counts are exactly 1..200', async () => {
    const clock = new TestClock();
    const keyPrefix = uniquePrefix();
    const [a, b] = [await open({ keyPrefix, now: clock.now }), await open({ keyPrefix, now: clock.now })];
    const results = await concurrently(200, (i) => (i % 2 === 0 ? a : b).hit('token:203.0.113.7', MINUTE));
    const counts = results.map((window) => window.count).sort((x, y) => x - y);
    expect(counts).toStrictEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const windowEnd = Math.floor(START_TIME / MINUTE) * MINUTE + MINUTE;
    expect(new Set(results.map((window) => window.resetAt))).toStrictEqual(new Set([windowEnd]));
  });

  it('a new window starts again from 1; keys and window lengths count apart', async () => {
    const clock = new TestClock();
    const counter = await open({ now: clock.now });
    expect(await counter.hit('k', MINUTE)).toMatchObject({ count: 1 });
    expect(await counter.hit('k', MINUTE)).toMatchObject({ count: 2 });
    expect(await counter.hit('other', MINUTE)).toMatchObject({ count: 1 });
    expect(await counter.hit('k', 10 * MINUTE)).toMatchObject({ count: 1 });
    const { resetAt } = await counter.hit('k', MINUTE);
    clock.advance(resetAt - clock.now() - 1);
    expect(await counter.hit('k', MINUTE)).toStrictEqual({ count: 4, resetAt });
    clock.advance(1);
    expect(await counter.hit('k', MINUTE)).toStrictEqual({ count: 1, resetAt: resetAt + MINUTE });
  });

  it('Redis expires a window when it ends', async () => {
    const clock = new TestClock();
    const keyPrefix = uniquePrefix();
    const counter = await open({ keyPrefix, now: clock.now });
    clock.advance(15_000);
    const { resetAt } = await counter.hit('k', MINUTE);
    const [key] = await keysUnder(inspector(), keyPrefix);
    const ttl = await inspector().pttl(key as string);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(resetAt - clock.now());
  });

  it('rejects a bad window, and every hit after close', async () => {
    const counter = await open();
    for (const windowMs of [0, -1, 1.5, Number.NaN]) {
      const error = await counter.hit('k', windowMs).catch((e: unknown) => e);
      expect(isCimdError(error, 'ERR_INVALID_OPTION')).toBe(true);
    }
    await counter.close();
    await expect(counter.hit('k', MINUTE)).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' });
    await expect(counter.close()).resolves.toBeUndefined();
  });

  it('an unreachable Redis rejects with ERR_STORE_UNAVAILABLE', async () => {
    const url = `redis://127.0.0.1:${await closedPort()}`;
    const error = await createRedisRateLimitCounter({ url, connectTimeoutMs: 1000 }).catch((e: unknown) => e);
    expect(isCimdError(error, 'ERR_STORE_UNAVAILABLE')).toBe(true);
  });
});
