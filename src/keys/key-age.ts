/**
 * The age of a key set's current key, and when it is due for rotation.
 *
 * @module
 */
import { currentKey, type KeySet } from './key-set.js';

/** One day, in milliseconds. */
export const DAY_MS = 24 * 60 * 60 * 1000;

/** Default maximum age of the current key before it should be rotated: 90 days, in milliseconds. */
export const DEFAULT_MAX_KEY_AGE_MS = 90 * DAY_MS;

/** The age of the current key and whether it is past `maxAgeMs`. */
export interface CurrentKeyAge {
  /** The current key's kid. */
  kid: string;
  /** How long ago the key was generated (`createdAt`), in milliseconds. */
  ageMs: number;
  /** The maximum age, in milliseconds. */
  maxAgeMs: number;
  /** When the key reaches the maximum age. */
  dueAt: Date;
  /** True when the key is at least `maxAgeMs` old. */
  tooOld: boolean;
}

/**
 * How old the current key is (from its `createdAt`, when it was generated) against `maxAgeMs`.
 *
 * @param options.maxAgeMs - the maximum age in milliseconds. Default {@link DEFAULT_MAX_KEY_AGE_MS} (90 days).
 * @param options.now - now, in epoch milliseconds. Default `Date.now()`.
 */
export function currentKeyAge(set: KeySet, options: { maxAgeMs?: number; now?: number } = {}): CurrentKeyAge {
  const key = currentKey(set);
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_KEY_AGE_MS;
  const created = Date.parse(key.createdAt);
  const ageMs = Math.max(0, (options.now ?? Date.now()) - created);
  return { kid: key.kid, ageMs, maxAgeMs, dueAt: new Date(created + maxAgeMs), tooOld: ageMs >= maxAgeMs };
}

/** A duration in whole days, rounded down, for messages. */
export function wholeDays(ms: number): number {
  return Math.floor(ms / DAY_MS);
}
