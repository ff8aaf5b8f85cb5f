/**
 * The checks of the client registry's option values (`ClientRegistryOptions`), one kind of
 * value each: each throws an `InvalidOptionError` naming the option, and returns the value with
 * its default applied.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { assertCacheBounds, type CacheBounds, DEFAULT_CACHE_BOUNDS } from '../cache/http-freshness.js';

/** `value` as a boolean option named `name`; default `false`. */
export function checkBoolean(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new InvalidOptionError(`${name} must be true or false`);
  return value;
}

/** Throws unless `value` is undefined or a function (the option named `name`). */
export function checkFunction(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new InvalidOptionError(`${name} must be a function`);
  }
}

/** `store` when it has the `Store` methods the registry calls; default none. */
export function checkStore(store: unknown): Store | undefined {
  if (store === undefined) return undefined;
  const methods = ['getClient', 'cacheGet', 'cacheSet', 'cacheDelete'] as const;
  if (
    typeof store !== 'object' ||
    store === null ||
    methods.some((name) => typeof (store as Record<string, unknown>)[name] !== 'function')
  ) {
    throw new InvalidOptionError(
      'store must implement the Store interface (getClient, cacheGet, cacheSet, cacheDelete, ...)',
    );
  }
  return store as Store;
}

/** `cacheBounds` merged over {@link DEFAULT_CACHE_BOUNDS} (60 s .. 24 h, in ms) and checked. */
export function checkBounds(bounds: unknown): CacheBounds {
  if (bounds === undefined) return { ...DEFAULT_CACHE_BOUNDS };
  if (typeof bounds !== 'object' || bounds === null) {
    throw new InvalidOptionError('cacheBounds must be an object { minTtlMs?, maxTtlMs? }');
  }
  const merged = { ...DEFAULT_CACHE_BOUNDS, ...(bounds as Partial<CacheBounds>) };
  assertCacheBounds(merged, 'cacheBounds');
  return merged;
}

/** `value` as a whole number of ms, 0 or more (the option named `name`); default 0. */
export function checkMilliseconds(value: unknown, name: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidOptionError(
      `${name} must be a whole number of milliseconds, 0 or more; got ${String(value)}`,
    );
  }
  return value;
}
