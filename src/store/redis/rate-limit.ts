/**
 * The rate-limit counter on Redis: every instance sharing one Redis counts together. Fixed
 * windows: a hit at time `t` counts in the window starting at `floor(t / windowMs) * windowMs`,
 * whose key carries that start and expires when the window ends.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import { checkClock } from '../arguments.js';
import { createLifecycle } from '../lifecycle.js';
import type { RateLimitCounter } from '../rate-limit.js';
import { registerScripts } from './commands.js';
import {
  checkConnectionOptions,
  openConnection,
  type RedisConnectionOptions,
  toStoreError,
} from './connection.js';
import { checkKeyPrefix } from './key-prefix.js';
import { createKeys } from './keys.js';

/** Options of {@link createRedisRateLimitCounter}. */
export interface RedisRateLimitCounterOptions extends RedisConnectionOptions {
  /** What every counter key starts with (they end in `rate:<window>:<start>:<key>`). Default `'cimd:'`. */
  keyPrefix?: string;
  /** The clock, in epoch milliseconds, that places hits in windows. Default `Date.now`. */
  now?: () => number;
}

/**
 * Connects to Redis (or takes the caller's client) and returns a counter on it. Each `hit` is one
 * script (INCR, and PEXPIRE on a window's first hit), so of N concurrent hits on one key in one
 * window the counts are exactly 1..N. Rejects with `ERR_STORE_UNAVAILABLE` when a URL's Redis
 * cannot be reached.
 */
export async function createRedisRateLimitCounter(
  options: RedisRateLimitCounterOptions,
): Promise<RateLimitCounter> {
  checkConnectionOptions(options, 'createRedisRateLimitCounter');
  const prefix = checkKeyPrefix(options.keyPrefix);
  const now = checkClock(options.now);
  const connection = await openConnection(options);
  const scripts = registerScripts(connection.client, prefix);
  const keys = createKeys(prefix);
  const lifecycle = createLifecycle(
    'Redis rate-limit counter',
    'create a new one with createRedisRateLimitCounter()',
  );

  return {
    async hit(key, windowMs) {
      lifecycle.assertOpen();
      if (typeof key !== 'string') throw new InvalidOptionError('hit: key must be a string');
      if (typeof windowMs !== 'number' || !Number.isSafeInteger(windowMs) || windowMs <= 0) {
        throw new InvalidOptionError(
          `hit: windowMs must be a positive whole number of milliseconds; got ${String(windowMs)}`,
        );
      }
      const time = now();
      const start = Math.floor(time / windowMs) * windowMs;
      const resetAt = start + windowMs;
      try {
        const count = await scripts.run(
          'countHit',
          time,
          [keys.rate(windowMs, start, key)],
          [Math.max(1, resetAt - time)],
        );
        return { count: Number(count), resetAt };
      } catch (error) {
        throw toStoreError(error, 'hit', connection.description);
      }
    },
    async close() {
      if (!lifecycle.markClosed()) return;
      await connection.close();
    },
  };
}
