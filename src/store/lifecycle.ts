/**
 * The open/closed state every store backend keeps: after `close()` every method rejects with a
 * clear error instead of touching released resources.
 *
 * @module
 */
import { CimdError } from '../errors.js';

/** Tracks whether a store is still open. */
export interface StoreLifecycle {
  /** Throws when the store is closed. */
  assertOpen(): void;
  /** Marks the store closed; returns `false` when it already was (so `close()` is idempotent). */
  markClosed(): boolean;
}

/** Creates the lifecycle of a store described as `description` (e.g. "SQLite store") in errors. */
export function createLifecycle(description: string, reopenHint: string): StoreLifecycle {
  let closed = false;
  return {
    assertOpen() {
      if (closed) {
        throw new CimdError(
          'ERR_STORE_CLOSED',
          `The ${description} is closed: it cannot be used after close(); ${reopenHint}`,
        );
      }
    },
    markClosed() {
      if (closed) return false;
      closed = true;
      return true;
    },
  };
}
