/**
 * Runs the shared SQL operations on a synchronous SQLite connection, with group commit (see
 * `group-commit.ts`): the writes called in one turn of the event loop run in order inside one
 * `BEGIN IMMEDIATE` … `COMMIT`, without yielding the thread, and each caller is answered only
 * after that commit. No other operation of this process can interleave with a batch, and another
 * connection (another handle or process on the same file) waits for the write lock up to the
 * busy timeout, as this one waits for theirs. That makes each operation atomic across
 * connections, and it can never wait on a lock held by its own event loop. Reads are queued too,
 * and run in order at the next flush, so each sees the writes called before it.
 *
 * @module
 */
import { createLifecycle } from '../lifecycle.js';
import type { SqlRunner } from '../sql/runner.js';
import type { SqliteDatabase } from './driver.js';
import { createGroupCommit } from './group-commit.js';
import { createStatementCache } from './statements.js';

/**
 * Creates a runner over `database`. Closing the runner runs what is queued, then closes the
 * database; operations called after that reject with an `ERR_STORE_CLOSED` error.
 */
export function createSqliteRunner(database: SqliteDatabase): SqlRunner {
  const statements = createStatementCache(database);
  const lifecycle = createLifecycle('SQLite store', 'open a new one with createSqliteStore()');
  const batches = createGroupCommit(database, statements.run, lifecycle);

  return {
    write: batches.write,
    // The same: every write is a batch's, inside BEGIN IMMEDIATE (the lock is taken up front).
    writeStatement: batches.write,
    read: batches.read,
    async close() {
      batches.close();
      statements.clear();
      database.close();
    },
  };
}
