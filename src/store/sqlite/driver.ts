/**
 * Loading and opening the SQLite driver. The driver is `libsql` (prebuilt binaries for Linux,
 * macOS and Windows, so nothing compiles on install), loaded only when a SQLite store is created;
 * its absence is reported with what to install. Any driver with better-sqlite3's synchronous API
 * fits {@link SqliteDatabase}.
 *
 * @module
 */
import { CimdError } from '../../errors.js';
import { type DriverImporter, importDriver } from '../driver-import.js';

/** A prepared statement of a better-sqlite3-compatible driver. */
export interface SqliteStatement {
  /** True when the statement returns rows (SELECT, or anything with RETURNING). */
  readonly reader: boolean;
  all(parameters: readonly unknown[]): unknown[];
  /** The first row, or undefined when there is none. */
  get(parameters: readonly unknown[]): unknown;
  run(parameters: readonly unknown[]): { changes: number };
  /** Switches rows between arrays of values (`true`) and objects keyed by column name. */
  raw(toggle: boolean): unknown;
  /** The columns of the rows, in order. */
  columns(): readonly { readonly name: string }[];
}

/** A connection of a better-sqlite3-compatible (synchronous) driver. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  close(): unknown;
  readonly inTransaction: boolean;
}

/** Opens a connection to the database file at `path` (or `:memory:`). */
export type SqliteDatabaseConstructor = new (path: string) => SqliteDatabase;

/** Loads `libsql`, or throws an error saying how to install it. */
export async function loadSqliteDriver(
  importer: DriverImporter = () => import('libsql'),
): Promise<SqliteDatabaseConstructor> {
  const driver = await importDriver(
    'SQLite store',
    'libsql',
    'Install it with `npm install libsql`: it ships prebuilt binaries for Linux, macOS and Windows, so nothing is compiled',
    importer,
  );
  if (typeof driver !== 'function') {
    throw new CimdError(
      'ERR_STORE_DRIVER',
      'The libsql package did not export a Database class: reinstall it with `npm install libsql`',
    );
  }
  return driver as SqliteDatabaseConstructor;
}

/**
 * Opens the database at `path` and sets it up for several connections: `busy_timeout` (how
 * long a writer waits for another connection's lock, in milliseconds), and for files WAL journal
 * mode (readers never wait for the writer) with `synchronous = NORMAL` (durable at checkpoints,
 * never corrupt).
 */
export function openSqliteDatabase(
  Database: SqliteDatabaseConstructor,
  path: string,
  busyTimeoutMs: number,
): SqliteDatabase {
  let database: SqliteDatabase;
  try {
    database = new Database(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CimdError('ERR_STORE_DRIVER', `Could not open the SQLite database at ${path}: ${reason}`, {
      cause: error,
    });
  }
  try {
    database.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    if (path !== ':memory:') {
      database.prepare('PRAGMA journal_mode = WAL').all([]);
      database.exec('PRAGMA synchronous = NORMAL');
    }
  } catch (error) {
    database.close();
    throw error;
  }
  return database;
}
