/**
 * Runs the shared SQL operations on a `pg` pool. A write operation runs between `BEGIN` and
 * `COMMIT` on one pooled connection, awaiting each step; its compare-and-set statements decide
 * races under READ COMMITTED (see `../sql/steps.ts`). A serialization failure or deadlock rolls
 * it back and runs a fresh operation again, a bounded number of times. A read operation is one
 * statement on any connection of the pool.
 *
 * @module
 */
import type { CompiledQuery } from 'kysely';
import type { Pool, PoolClient, QueryConfig } from 'pg';
import type { SqlRunner } from '../sql/runner.js';
import type { Operation, StepResult } from '../sql/steps.js';
import { isRetryable, isStalePreparedStatement, isUnavailable, toStoreError } from './errors.js';
import { unescapeRows } from './nul-escape.js';
import type { Pipeline, StatementRunner } from './pipeline.js';

/** What {@link createPostgresRunner} runs operations with. */
export interface PostgresRunnerParts {
  /** The pool the connections come from. */
  pool: Pool;
  /** Ends the pool on close: true only when the store created it. */
  ownsPool: boolean;
  /**
   * Where single statements (reads, {@link SqlRunner.writeStatement}) run instead of the pool:
   * the store's pipelined connections, closed with the runner. Default: the pool.
   */
  pipeline?: Pipeline;
  /** Builds the `pg` query for a compiled query (statement name, parameters, type parsers). */
  statement: (query: CompiledQuery) => QueryConfig;
  /** How many times one operation may run before a retryable failure is thrown (at least 1). */
  maxAttempts: number;
}

/** Drives `operation` to its end, awaiting `run` for each step; what either throws propagates. */
export async function runSteps<T>(
  operation: Operation<T>,
  run: (query: CompiledQuery) => Promise<StepResult>,
): Promise<T> {
  let step = operation.next();
  while (!step.done) step = operation.next(await run(step.value));
  return step.value;
}

/** Wraps `run` so that an operation running a second statement fails instead of running it outside a transaction. */
function singleStatement(
  run: (query: CompiledQuery) => Promise<StepResult>,
): (query: CompiledQuery) => Promise<StepResult> {
  let ran = false;
  return (query) => {
    if (ran) throw new Error('An operation run as a single statement ran a second one');
    ran = true;
    return run(query);
  };
}

/** Waits a short random time that grows with `attempt`, so retried transactions do not collide again. */
function backOff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
}

/** Keeps the `error` event of a connection lost mid-transaction from crashing the process; the pending query fails with it anyway. */
function ignoreClientError(): void {}

/** Creates a runner over `parts.pool`. */
export function createPostgresRunner(parts: PostgresRunnerParts): SqlRunner {
  const { pool, statement, maxAttempts } = parts;
  const single: StatementRunner = parts.pipeline ?? pool;

  async function run(queryable: StatementRunner, query: CompiledQuery): Promise<StepResult> {
    const result = await queryable.query(statement(query));
    return { rows: unescapeRows(result.rows), affectedRows: result.rowCount ?? 0 };
  }

  async function checkout(): Promise<PoolClient> {
    try {
      return await pool.connect();
    } catch (error) {
      throw toStoreError('connect to the database', error);
    }
  }

  /**
   * Ends the failed transaction on `client`; returns the error to release it with (which drops
   * the connection) when it cannot be reused: lost, holding a stale prepared statement, or unable
   * to roll back.
   */
  async function abandon(client: PoolClient, error: unknown): Promise<Error | undefined> {
    if (isUnavailable(error) || isStalePreparedStatement(error)) {
      return error instanceof Error ? error : new Error(String(error));
    }
    try {
      await client.query('ROLLBACK');
      return undefined;
    } catch (rollbackError) {
      return rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
  }

  return {
    async write(start) {
      for (let attempt = 1; ; attempt++) {
        const client = await checkout();
        client.on('error', ignoreClientError);
        let broken: Error | undefined;
        try {
          await client.query('BEGIN');
          const value = await runSteps(start(), (query) => run(client, query));
          await client.query('COMMIT');
          return value;
        } catch (error) {
          broken = await abandon(client, error);
          if (attempt >= maxAttempts || !(isRetryable(error) || isStalePreparedStatement(error))) {
            throw toStoreError('complete a write', error);
          }
        } finally {
          client.removeListener('error', ignoreClientError);
          client.release(broken);
        }
        await backOff(attempt);
      }
    },
    async writeStatement(start) {
      for (let attempt = 1; ; attempt++) {
        try {
          // Autocommit: one statement is its own transaction. A connection holding a stale prepared
          // statement is dropped (by the pool) or retired (by the pipeline), so a retry gets a fresh one.
          return await runSteps(
            start(),
            singleStatement((query) => run(single, query)),
          );
        } catch (error) {
          if (attempt >= maxAttempts || !(isRetryable(error) || isStalePreparedStatement(error))) {
            throw toStoreError('complete a write', error);
          }
        }
        await backOff(attempt);
      }
    },
    async read(start) {
      for (let attempt = 1; ; attempt++) {
        try {
          // Each statement on its own, like writeStatement's (see there for the retry).
          return await runSteps(start(), (query) => run(single, query));
        } catch (error) {
          if (attempt >= maxAttempts || !isStalePreparedStatement(error)) {
            throw toStoreError('read', error);
          }
        }
      }
    },
    async close() {
      await parts.pipeline?.close();
      if (parts.ownsPool) await pool.end();
    },
  };
}
