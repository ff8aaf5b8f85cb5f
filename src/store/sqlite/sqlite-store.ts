/**
 * The SQLite store: the embedded default, one database file shared by every instance on the
 * machine. Uses the `libsql` driver (prebuilt, nothing to compile).
 *
 * @module
 */
import { createRequire } from 'node:module';
import { InvalidOptionError } from '../../errors.js';
import { checkClock, checkMilliseconds } from '../arguments.js';
import { createLifecycle } from '../lifecycle.js';
import { DEFAULT_CLEANUP_INTERVAL_MS } from '../retention.js';
import { migrate } from '../sql/schema.js';
import { createSqlStore } from '../sql/sql-store.js';
import type { Store } from '../store.js';
import { startCheckpointer } from './checkpointer.js';
import { loadSqliteDriver, openSqliteDatabase } from './driver.js';
import { createSqliteQueryBuilder } from './query-builder.js';
import { createSqliteRunner } from './runner.js';

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * The database file, created when missing (its directory must exist); relative paths are
   * relative to the working directory. `':memory:'` keeps a private in-memory database that
   * disappears on close. Several stores (in one or several processes) may open the same file.
   */
  path: string;
  /**
   * The clock, in epoch milliseconds. Inject one to expire records in tests without waiting.
   * Default `Date.now`.
   */
  now?: () => number;
  /**
   * Milliseconds between deletions of expired rows. `0` disables them (expired rows are ignored
   * anyway; they only take space). The timer does not keep the process alive. Default 60 000.
   */
  cleanupIntervalMs?: number;
  /**
   * How long a write waits for another connection's lock on the file before failing, in
   * milliseconds. Default 5 000.
   */
  busyTimeoutMs?: number;
  /**
   * Checkpoint the write-ahead log on a worker thread instead of inside a commit on the calling
   * thread (see `checkpointer.ts`): requests never wait for the checkpoint's disk flush. Files
   * only. Default `true`.
   */
  backgroundCheckpoints?: boolean;
}

/** The default of {@link SqliteStoreOptions.busyTimeoutMs}. */
const DEFAULT_BUSY_TIMEOUT_MS = 5000;

function checkPath(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidOptionError("path must be the database file's path, or ':memory:'");
  }
  return value;
}

/**
 * Opens (creating when missing) a SQLite database and returns a store on it. Files use WAL
 * journal mode; the schema is created or migrated on open, in one transaction, so several
 * instances may open one file at once. Rejects when `libsql` is not installed, when the file
 * cannot be opened, or when it was written by a newer version of this package.
 */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError("createSqliteStore needs options with a path (a file path, or ':memory:')");
  }
  const path = checkPath(options.path);
  const now = checkClock(options.now);
  const cleanupIntervalMs = checkMilliseconds(
    'cleanupIntervalMs',
    options.cleanupIntervalMs,
    DEFAULT_CLEANUP_INTERVAL_MS,
    0,
  );
  const busyTimeoutMs = checkMilliseconds('busyTimeoutMs', options.busyTimeoutMs, DEFAULT_BUSY_TIMEOUT_MS, 0);

  if (options.backgroundCheckpoints !== undefined && typeof options.backgroundCheckpoints !== 'boolean') {
    throw new InvalidOptionError('backgroundCheckpoints must be true or false');
  }

  const Database = await loadSqliteDriver();
  const database = openSqliteDatabase(Database, path, busyTimeoutMs);
  const runner = createSqliteRunner(database);
  const db = createSqliteQueryBuilder();
  try {
    await runner.write(() => migrate(db, now()));
  } catch (error) {
    await runner.close();
    throw error;
  }
  const driverPath =
    path === ':memory:' || options.backgroundCheckpoints === false ? undefined : libsqlPath();
  const checkpointer = driverPath === undefined ? undefined : startCheckpointer(database, path, driverPath);
  const lifecycle = createLifecycle('SQLite store', 'open a new one with createSqliteStore()');
  return createSqlStore({
    runner: {
      ...runner,
      async close() {
        await checkpointer?.stop();
        await runner.close();
      },
    },
    db,
    now,
    cleanupIntervalMs,
    lifecycle,
  });
}

/** Where `libsql` is installed (the checkpoint worker loads it there), or undefined. */
function libsqlPath(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('libsql');
  } catch {
    return undefined;
  }
}
