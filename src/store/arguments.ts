/**
 * Checks shared by every store backend: the options they take and the durations their methods
 * are handed. A bad value throws {@link InvalidOptionError} naming what was wrong.
 *
 * @module
 */
import { InvalidOptionError } from '../errors.js';
import type { GrantFilter } from './store.js';

/** The longest delay Node's timers accept (about 24.8 days), in milliseconds. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Throws unless `ttlMs`, handed to `method`, is a positive finite number of milliseconds. */
export function assertTtl(method: string, ttlMs: number): void {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new InvalidOptionError(
      `${method}: ttlMs must be a positive finite number of milliseconds; got ${String(ttlMs)}`,
    );
  }
}

/** Throws unless `seenAt`, handed to `recordClientDocument`, is a finite time in epoch milliseconds. */
export function assertSeenAt(seenAt: number): void {
  if (typeof seenAt !== 'number' || !Number.isFinite(seenAt)) {
    throw new InvalidOptionError(
      `recordClientDocument: seenAt must be a finite time in epoch milliseconds; got ${String(seenAt)}`,
    );
  }
}

/** Returns the clock option, or `Date.now` when it is absent. */
export function checkClock(value: unknown): () => number {
  if (value === undefined) return Date.now;
  if (typeof value !== 'function') {
    throw new InvalidOptionError('now must be a function returning the time in epoch milliseconds');
  }
  return value as () => number;
}

/**
 * Returns a whole-milliseconds option between `min` and {@link MAX_TIMER_MS}, or `fallback`
 * when it is absent.
 */
export function checkMilliseconds(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_TIMER_MS) {
    throw new InvalidOptionError(
      `${name} must be a whole number of milliseconds between ${min} and ${MAX_TIMER_MS}; got ${String(value)}`,
    );
  }
  return value;
}

/** Returns a positive whole-number option, or `fallback` when it is absent. */
export function checkCount(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidOptionError(`${name} must be a positive whole number; got ${String(value)}`);
  }
  return value;
}

/** Throws unless `filter` is an object whose `clientId` and `userId`, when present, are strings. */
export function assertGrantFilter(method: string, filter: GrantFilter): void {
  if (typeof filter !== 'object' || filter === null) {
    throw new InvalidOptionError(`${method}: filter must be an object (empty to list everything)`);
  }
  for (const name of ['clientId', 'userId'] as const) {
    const value = filter[name];
    if (value !== undefined && typeof value !== 'string') {
      throw new InvalidOptionError(`${method}: filter.${name} must be a string; got ${typeof value}`);
    }
  }
}
