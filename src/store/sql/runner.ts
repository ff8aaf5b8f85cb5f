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
  /**
   * Runs a write operation made of a single statement, which is atomic on its own (an upsert
   * whose affected-row count decides). A backend may run it without an explicit transaction
   * (PostgreSQL: one round trip instead of three). Same retry rules as {@link SqlRunner.write}.
   */
  writeStatement<T>(start: () => Operation<T>): Promise<T>;
  /** Runs a read-only operation made of a single statement; needs no write lock. */
  read<T>(start: () => Operation<T>): Promise<T>;
  /** Releases the connection. */
  close(): Promise<void>;
}
