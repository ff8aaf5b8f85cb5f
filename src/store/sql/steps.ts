/**
 * The SQL operations are generators: each `yield` hands one compiled query to a runner and
 * receives its result. So one operation's logic serves every SQL backend: a synchronous driver
 * (SQLite) runs a whole operation without giving up the thread, inside `BEGIN IMMEDIATE`, and an
 * asynchronous one (PostgreSQL) awaits each step inside a transaction.
 *
 * Operations decide races with compare-and-set statements (an `UPDATE … WHERE used_at IS NULL`
 * whose affected-row count says who won, `INSERT … ON CONFLICT`), so they stay correct under
 * PostgreSQL's READ COMMITTED as well as under SQLite's serialized writers.
 *
 * @module
 */
import type { Compilable, CompiledQuery } from 'kysely';

/** What a runner hands back for one query. */
export interface StepResult {
  /** The rows a reading statement (SELECT, or anything with RETURNING) produced. */
  readonly rows: readonly unknown[];
  /** The rows a writing statement without RETURNING inserted, updated or deleted. */
  readonly affectedRows: number;
}

/**
 * One query an operation hands to a runner. `firstRowOnly` says the operation reads only the
 * first row, so a runner may fetch just that one (SQLite's `get()`); it may also return them all.
 */
export interface Step extends CompiledQuery {
  readonly firstRowOnly?: boolean;
}

/** An operation: yields queries, receives their results, returns `T`. */
export type Operation<T> = Generator<Step, T, StepResult>;

/** A query to run: a Kysely builder (compiled on the spot) or an already compiled statement (see `prepared.ts`). */
export type Runnable<R> = Compilable<R> | CompiledQuery<R>;

function compiled<R>(query: Runnable<R>): CompiledQuery<R> {
  return 'sql' in query ? query : query.compile();
}

/** Runs `query` and returns its rows. */
export function* selectRows<R>(query: Runnable<R>): Operation<R[]> {
  const result = yield compiled(query);
  return result.rows as R[];
}

/** Runs `query` and returns its first row, if any. */
export function* selectFirst<R>(query: Runnable<R>): Operation<R | undefined> {
  const { sql, parameters, query: node, queryId } = compiled(query);
  const result = yield { sql, parameters, query: node, queryId, firstRowOnly: true };
  return result.rows[0] as R | undefined;
}

/** Runs a writing `query` and returns how many rows it affected. */
export function* execute(query: Runnable<unknown>): Operation<number> {
  const result = yield compiled(query);
  return result.affectedRows;
}

/** Drives `operation` to its end with a synchronous `run`; what it throws propagates. */
export function runToEnd<T>(operation: Operation<T>, run: (query: Step) => StepResult): T {
  let step = operation.next();
  while (!step.done) step = operation.next(run(step.value));
  return step.value;
}
