/**
 * What a SQL backend supplies to run the shared operations against its database.
 *
 * @module
 */
import type { Operation } from './steps.js';

/** Runs operations against one database connection (or pool). */
export interface SqlRunner {
  /**
   * Runs the operation `start()` creates as one atomic write transaction: it sees no other
   * writer's changes part-way and its own are all committed or none. May call `start` again to
   * retry after a serialization failure, so `start` must build a fresh operation each time.
   */
  write<T>(start: () => Operation<T>): Promise<T>;
  /** Runs a read-only operation made of a single statement; needs no write lock. */
  read<T>(start: () => Operation<T>): Promise<T>;
  /** Releases the connection. */
  close(): Promise<void>;
}
