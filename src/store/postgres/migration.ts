/**
 * Opening a PostgreSQL store: the schema is created when missing and migrated in one
 * transaction that first takes a transaction-level advisory lock for that schema, so instances
 * starting together migrate one after another (the first does the work, the others find it done)
 * and the lock is released by the commit or rollback, never left behind.
 *
 * @module
 */
import { type Compilable, type RawBuilder, sql } from 'kysely';
import { migrate } from '../sql/schema.js';
import { execute, type Operation, selectFirst } from '../sql/steps.js';
import type { StoreQueryBuilder } from '../sql/tables.js';
import { installRoutines } from './routines.js';

/** The advisory lock key's text for `schema` (hashed to the lock's 32-bit key by PostgreSQL's `hashtext`). */
export function migrationLockName(schema: string): string {
  return `mcp-cimd store migration: ${schema}`;
}

/** A raw query as something the steps can run, compiled by `db`. */
function raw<R>(db: StoreQueryBuilder, query: RawBuilder<R>): Compilable<R> {
  return { compile: () => query.compile(db) };
}

/**
 * Takes the migration lock of `schema`, creates the schema when it does not exist (checked first,
 * so an existing schema needs no CREATE privilege on the database), then brings it to the current
 * version and creates the server-side functions it lacks (`routines.ts`); returns the version
 * found before. Run it inside a write transaction.
 */
export function* migratePostgres(db: StoreQueryBuilder, schema: string, now: number): Operation<number> {
  yield* selectFirst(raw(db, sql`select pg_advisory_xact_lock(hashtext(${migrationLockName(schema)}))`));
  const existing = yield* selectFirst(
    raw(db, sql<{ found: number }>`select 1 as found from pg_catalog.pg_namespace where nspname = ${schema}`),
  );
  if (existing === undefined) yield* execute(db.schema.createSchema(schema));
  const found = yield* migrate(db, now);
  yield* installRoutines(db, schema);
  return found;
}
