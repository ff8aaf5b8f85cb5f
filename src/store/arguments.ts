/**
 * Checks shared by every store backend: the options they take and the durations their methods
 * are handed. A bad value throws {@link InvalidOptionError} naming what was wrong.
 *
 * @module
 */
import { InvalidOptionError } from '../errors.js';
import type { GrantFilter, Page } from './store.js';

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

/** The default of {@link Page.limit}: rows per listing page. */
export const DEFAULT_PAGE_LIMIT = 100;
/** The most rows one listing page returns; a larger `limit` is lowered to it. */
export const MAX_PAGE_LIMIT = 1000;

/** A listing page with its defaults applied. */
export interface ResolvedPage {
  limit: number;
  offset: number;
}

/**
 * Applies the defaults of a listing page (`limit` 100, `offset` 0) and lowers `limit` to
 * {@link MAX_PAGE_LIMIT}. Throws unless both are whole numbers (`limit` at least 1, `offset` at
 * least 0).
 */
export function resolvePage(page: Page | undefined): ResolvedPage {
  if (page === undefined) return { limit: DEFAULT_PAGE_LIMIT, offset: 0 };
  if (typeof page !== 'object' || page === null) {
    throw new InvalidOptionError('page must be an object with optional limit and offset');
  }
  const { limit = DEFAULT_PAGE_LIMIT, offset = 0 } = page;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
    throw new InvalidOptionError(`page.limit must be a whole number of at least 1; got ${String(limit)}`);
  }
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new InvalidOptionError(`page.offset must be a whole number of at least 0; got ${String(offset)}`);
  }
  return { limit: Math.min(limit, MAX_PAGE_LIMIT), offset };
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
