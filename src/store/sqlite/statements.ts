/**
 * Runs queries on a synchronous SQLite connection through a cache of prepared statements. The
 * operations use a small, fixed set of statement texts, so each is prepared once, and what the
 * driver would otherwise recompute on every call is kept with it (libsql answers
 * `statement.reader` with a native call each time it is read).
 *
 * Reading statements run in raw mode (rows as arrays of values) and the rows are built here from
 * the column names read once, and a step that wants only the first row uses `get()`: in libsql,
 * `all()` is two native calls and object rows are built natively at a higher cost, so one
 * primary-key lookup measured 7.7 µs with `all()`, 5.8 µs with `get()`, 4.6 µs with raw `get()`
 * (a refresh-token join: 13.0, 11.1, 7.4 µs). Raw mode also spares libsql's object-mode quirks:
 * `get()` adds a `_metadata` property to the row.
 *
 * @module
 */
import type { Step, StepResult } from '../sql/steps.js';
import type { SqliteDatabase, SqliteStatement } from './driver.js';

/** A prepared statement with what is known about it. */
interface CachedStatement {
  readonly statement: SqliteStatement;
  /** The column names of a statement that returns rows (SELECT, or anything with RETURNING); else undefined. */
  columns: readonly string[] | undefined;
}

/** Runs queries on one connection; see {@link createStatementCache}. */
export interface StatementCache {
  /** Runs `query` (preparing its SQL text on first use) and returns its rows or affected-row count. */
  run(query: Step): StepResult;
  /** Forgets every prepared statement (before the connection closes). */
  clear(): void;
}

const NO_ROWS: readonly unknown[] = Object.freeze([]);

/** A row object from the values of a raw row, keyed by `columns` in order (a later duplicate wins). */
function toRow(columns: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) row[columns[i] as string] = values[i];
  return row;
}

/** Creates a statement cache over `database`. */
export function createStatementCache(database: SqliteDatabase): StatementCache {
  const statements = new Map<string, CachedStatement>();

  function prepare(sql: string): CachedStatement {
    const statement = database.prepare(sql);
    let columns: string[] | undefined;
    if (statement.reader) {
      columns = statement.columns().map((column) => column.name);
      statement.raw(true);
    }
    const cached = { statement, columns };
    statements.set(sql, cached);
    return cached;
  }

  /**
   * The column names for `values`. SQLite prepares a statement again when the schema changed
   * (another process migrated the file), and a `*` then expands to the new columns: a row whose
   * length differs from the names read at first use has them read again.
   */
  function columnsOf(cached: CachedStatement, values: readonly unknown[]): readonly string[] {
    const columns = cached.columns as readonly string[];
    if (values.length === columns.length) return columns;
    cached.columns = cached.statement.columns().map((column) => column.name);
    return cached.columns;
  }

  return {
    run(query) {
      const cached = statements.get(query.sql) ?? prepare(query.sql);
      const { statement } = cached;
      if (cached.columns === undefined) {
        return { rows: NO_ROWS, affectedRows: statement.run(query.parameters).changes };
      }
      if (query.firstRowOnly === true) {
        const values = statement.get(query.parameters) as unknown[] | undefined;
        if (values === undefined) return { rows: NO_ROWS, affectedRows: 0 };
        return { rows: [toRow(columnsOf(cached, values), values)], affectedRows: 0 };
      }
      const rows = (statement.all(query.parameters) as unknown[][]).map((values) =>
        toRow(columnsOf(cached, values), values),
      );
      return { rows, affectedRows: 0 };
    },
    clear() {
      statements.clear();
    },
  };
}
