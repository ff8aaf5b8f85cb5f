/**
 * The in-memory {@link RateLimitCounter}: fixed windows per key in one process, in bounded
 * memory. At most `maxKeys` keys are kept; past that the key hit least recently is forgotten
 * (an LRU: a forgotten key starts a new window at its next hit, so a flood of distinct keys can
 * only make the counts of idle keys restart, never grow memory).
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import type { RateLimitCounter, RateLimitWindow } from '../rate-limit.js';

/** Options of {@link createMemoryRateLimitCounter}. */
export interface MemoryRateLimitCounterOptions {
  /** The most keys remembered at once; the least recently hit goes first. Default 100 000. */
  maxKeys?: number;
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** The default {@link MemoryRateLimitCounterOptions.maxKeys}. */
export const DEFAULT_RATE_LIMIT_MAX_KEYS = 100_000;

/**
 * A rate-limit counter in this process's memory: each instance counts alone (give several
 * server instances one shared counter, such as the Redis one, to count together). `hit` runs
 * synchronously under the hood, so concurrent hits on one key get the counts 1..N exactly.
 */
export function createMemoryRateLimitCounter(options: MemoryRateLimitCounterOptions = {}): RateLimitCounter {
  const maxKeys = options.maxKeys ?? DEFAULT_RATE_LIMIT_MAX_KEYS;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
    throw new InvalidOptionError(`maxKeys must be a positive whole number; got ${String(maxKeys)}`);
  }
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order: deleting and setting again on every hit keeps the least
  // recently hit key first.
  const windows = new Map<string, RateLimitWindow>();
  return {
    hit: async (key, windowMs) => {
      if (!Number.isSafeInteger(windowMs) || windowMs < 1) {
        throw new InvalidOptionError(
          `windowMs must be a positive whole number of ms; got ${String(windowMs)}`,
        );
      }
      const time = now();
      const current = windows.get(key);
      windows.delete(key);
      const next: RateLimitWindow =
        current === undefined || current.resetAt <= time
          ? { count: 1, resetAt: time + windowMs }
          : { count: current.count + 1, resetAt: current.resetAt };
      windows.set(key, next);
      if (windows.size > maxKeys) {
        const oldest = windows.keys().next().value;
        if (oldest !== undefined) windows.delete(oldest);
      }
      return { ...next };
    },
    close: async () => {
      windows.clear();
    },
  };
}
