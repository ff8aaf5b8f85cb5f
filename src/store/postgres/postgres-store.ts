/**
 * The PostgreSQL store: one database shared by every instance of a deployment, through `pg`.
 *
 * @module
 */
import type { Pool } from 'pg';
import { InvalidOptionError } from '../../errors.js';
import { checkClock, checkCount, checkMilliseconds } from '../arguments.js';
import { createLifecycle } from '../lifecycle.js';
import { DEFAULT_CLEANUP_INTERVAL_MS } from '../retention.js';
import { createSqlStore } from '../sql/sql-store.js';
import type { Store } from '../store.js';
import { loadPgDriver, openOwnPool } from './driver.js';
import { migratePostgres } from './migration.js';
import { createOneTripOperations, withOneTripOperations } from './one-trip.js';
import { createPipeline, supportsPipelining } from './pipeline.js';
import { createPostgresQueryBuilder } from './query-builder.js';
import { createPostgresRunner } from './runner.js';
import { createStatementFactory, createTypeParsers } from './statements.js';

/** Options of {@link createPostgresStore}: give exactly one of `connectionString` and `pool`. */
export interface PostgresStoreOptions {
  /**
   * A PostgreSQL connection URL (`postgres://user:password@host:5432/database`, with any `pg`
   * URL parameters such as `sslmode`). The store opens its own pool and ends it on close.
   */
  connectionString?: string;
  /**
   * A `pg` pool the application owns (and ends itself: the store's close() leaves it open).
   * `maxConnections` and `connectionTimeoutMs` do not apply; the pool's own settings do. Listen
   * to the pool's `error` event, as `pg` requires of every pool.
   */
  pool?: Pool;
  /**
   * The schema the store's tables (all named `cimd_…`) live in; created when missing. Letters,
   * digits and underscores, not starting with a digit, at most 63 characters. Default `'public'`.
   */
  schema?: string;
  /** Most connections the store's own pool opens at once (pipelined ones included). Default 10. */
  maxConnections?: number;
  /**
   * How many of the `maxConnections` are pipelined (`pg` 8.23 or later): the store's
   * single-statement calls (lookups, a `jti` record, a refresh rotation, a code consumption) are
   * written onto them without waiting for each other's answers, each still its own transaction,
   * which costs this process and the database server about half the CPU per call under load.
   * Transactions of several statements use the others. `0` for none; less than `maxConnections`.
   * Does not apply with `pool`. Default: a quarter of `maxConnections`, at most 2 (2 of 10).
   */
  pipelinedConnections?: number;
  /**
   * How long opening one connection of the store's own pool may take, in milliseconds, before
   * the call rejects with `ERR_STORE_UNAVAILABLE`. Default 5 000.
   */
  connectionTimeoutMs?: number;
  /**
   * How long a call may wait for a free connection while all `maxConnections` of the store's own
   * pool are busy (a burst), in milliseconds, before it rejects with `ERR_STORE_UNAVAILABLE`; also
   * how long a statement on a pipelined connection may go unanswered before that connection is
   * taken for lost (closed, and opened again for the next call). Default 30 000.
   */
  queueTimeoutMs?: number;
  /**
   * Milliseconds between deletions of expired rows. `0` disables them (expired rows are ignored
   * anyway; they only take space). The timer does not keep the process alive. Default 60 000.
   */
  cleanupIntervalMs?: number;
  /**
   * The clock, in epoch milliseconds. Inject one to expire records in tests without waiting.
   * Default `Date.now`.
   */
  now?: () => number;
}

/** The default of {@link PostgresStoreOptions.schema}. */
const DEFAULT_SCHEMA = 'public';
/** The default of {@link PostgresStoreOptions.maxConnections}. */
const DEFAULT_MAX_CONNECTIONS = 10;
/** The default of {@link PostgresStoreOptions.connectionTimeoutMs}. */
const DEFAULT_CONNECTION_TIMEOUT_MS = 5000;
/** The default of {@link PostgresStoreOptions.queueTimeoutMs}. */
const DEFAULT_QUEUE_TIMEOUT_MS = 30_000;
/** How many times one write runs before a serialization failure or deadlock is thrown. */
const MAX_WRITE_ATTEMPTS = 5;

/** Most pipelined connections by default (see {@link PostgresStoreOptions.pipelinedConnections}). */
const MAX_DEFAULT_PIPELINED = 2;

/** The pipelined share of `maxConnections`: the option, or a quarter of them (at most 2). */
function checkPipelined(value: unknown, maxConnections: number): number {
  if (value === undefined) return Math.min(MAX_DEFAULT_PIPELINED, Math.floor(maxConnections / 4));
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value >= maxConnections) {
    throw new InvalidOptionError(
      `pipelinedConnections must be a whole number from 0 to maxConnections - 1 (${maxConnections - 1}); got ${String(value)}`,
    );
  }
  return value;
}

/** A schema name PostgreSQL takes unquoted-style: no quoting surprises, at most 63 bytes. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function checkSchema(value: unknown): string {
  if (value === undefined) return DEFAULT_SCHEMA;
  if (typeof value !== 'string' || !SCHEMA_NAME.test(value)) {
    throw new InvalidOptionError(
      `schema must be letters, digits and underscores, not starting with a digit, at most 63 characters; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** The pool option, when it looks like a `pg` pool. */
function checkPool(value: unknown): Pool {
  const pool = value as Partial<Pool> | null;
  if (
    typeof pool !== 'object' ||
    pool === null ||
    typeof pool.connect !== 'function' ||
    typeof pool.query !== 'function' ||
    typeof pool.end !== 'function'
  ) {
    throw new InvalidOptionError('pool must be a pg Pool (new Pool() from the pg package)');
  }
  return pool as Pool;
}

function checkSource(options: PostgresStoreOptions): { connectionString?: string; pool?: Pool } {
  const { connectionString, pool } = options;
  if ((connectionString === undefined) === (pool === undefined)) {
    throw new InvalidOptionError(
      'createPostgresStore needs exactly one of connectionString (a postgres:// URL) and pool (a pg Pool)',
    );
  }
  if (pool !== undefined) return { pool: checkPool(pool) };
  if (typeof connectionString !== 'string' || !/^postgres(ql)?:\/\//.test(connectionString)) {
    throw new InvalidOptionError('connectionString must be a postgres:// or postgresql:// URL');
  }
  return { connectionString };
}

/**
 * Connects to PostgreSQL and returns a store on it. The schema is created when missing and
 * migrated on open, under an advisory lock, so several instances may start at once. Rejects with
 * `ERR_STORE_UNAVAILABLE` when the server cannot be reached (within `connectionTimeoutMs` for
 * the store's own pool), with `ERR_STORE_DRIVER` when `pg` is not installed or the schema was
 * written by a newer version of this package, and with `ERR_INVALID_OPTION` for bad options.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(
      'createPostgresStore needs options with a connectionString (a postgres:// URL) or a pool (a pg Pool)',
    );
  }
  const source = checkSource(options);
  const schema = checkSchema(options.schema);
  const maxConnections = checkCount('maxConnections', options.maxConnections, DEFAULT_MAX_CONNECTIONS);
  const connectionTimeoutMs = checkMilliseconds(
    'connectionTimeoutMs',
    options.connectionTimeoutMs,
    DEFAULT_CONNECTION_TIMEOUT_MS,
    1,
  );
  const cleanupIntervalMs = checkMilliseconds(
    'cleanupIntervalMs',
    options.cleanupIntervalMs,
    DEFAULT_CLEANUP_INTERVAL_MS,
    0,
  );
  const now = checkClock(options.now);

  const pipelined = checkPipelined(options.pipelinedConnections, maxConnections);
  const queueTimeoutMs = checkMilliseconds(
    'queueTimeoutMs',
    options.queueTimeoutMs,
    DEFAULT_QUEUE_TIMEOUT_MS,
    1,
  );

  const pg = await loadPgDriver();
  const ownsPool = source.pool === undefined;
  const pipeline =
    source.connectionString !== undefined && pipelined > 0 && supportsPipelining(pg)
      ? createPipeline(pg, {
          connectionString: source.connectionString,
          connections: pipelined,
          connectionTimeoutMs,
          answerTimeoutMs: queueTimeoutMs,
        })
      : undefined;
  const pool =
    source.pool ??
    openOwnPool(pg, {
      connectionString: source.connectionString as string,
      maxConnections: pipeline === undefined ? maxConnections : maxConnections - pipelined,
      connectionTimeoutMs,
      queueTimeoutMs,
    });
  const runner = createPostgresRunner({
    pool,
    ownsPool,
    ...(pipeline === undefined ? {} : { pipeline }),
    statement: createStatementFactory(createTypeParsers(pg.types)),
    maxAttempts: MAX_WRITE_ATTEMPTS,
  });
  const db = createPostgresQueryBuilder(schema);
  try {
    await runner.write(() => migratePostgres(db, schema, now()));
  } catch (error) {
    await runner.close();
    throw error;
  }
  const lifecycle = createLifecycle('PostgreSQL store', 'open a new one with createPostgresStore()');
  const store = createSqlStore({ runner, db, now, cleanupIntervalMs, lifecycle });
  return withOneTripOperations(store, {
    runner,
    operations: createOneTripOperations(db, schema),
    now,
    lifecycle,
  });
}
