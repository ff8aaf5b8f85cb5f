/**
 * Runs the shared SQL operations on a synchronous SQLite connection. A write operation runs from
 * `BEGIN IMMEDIATE` to `COMMIT` without yielding the thread: no other operation of this process
 * can interleave with it, and another connection (another handle or process on the same file)
 * waits for the write lock up to the busy timeout. That makes each operation atomic across
 * connections, and it can never wait on a lock held by its own event loop.
 *
 * @module
 */
import type { CompiledQuery } from 'kysely';
import type { SqlRunner } from '../sql/runner.js';
import { type Operation, runToEnd, type StepResult } from '../sql/steps.js';
import type { SqliteDatabase, SqliteStatement } from './driver.js';

/** Creates a runner over `database`; closing the runner closes the database. */
export function createSqliteRunner(database: SqliteDatabase): SqlRunner {
  /** Prepared statements by SQL text: the operations use a small, fixed set of statements. */
  const statements = new Map<string, SqliteStatement>();

  function run(query: CompiledQuery): StepResult {
    let statement = statements.get(query.sql);
    if (statement === undefined) {
      statement = database.prepare(query.sql);
      statements.set(query.sql, statement);
    }
    if (statement.reader) return { rows: statement.all(query.parameters), affectedRows: 0 };
    return { rows: [], affectedRows: statement.run(query.parameters).changes };
  }

  async function write<T>(start: () => Operation<T>): Promise<T> {
    database.exec('BEGIN IMMEDIATE');
    try {
      const result = runToEnd(start(), run);
      database.exec('COMMIT');
      return result;
    } catch (error) {
      if (database.inTransaction) database.exec('ROLLBACK');
      throw error;
    }
  }

  return {
    write,
    // Inside BEGIN IMMEDIATE too: the write lock is taken up front, under the busy timeout.
    writeStatement: write,
    async read(start) {
      return runToEnd(start(), run);
    },
    async close() {
      statements.clear();
      database.close();
    },
  };
}
