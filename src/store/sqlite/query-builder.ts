/**
 * A Kysely instance that only compiles queries to SQLite's dialect; the SQLite runner executes
 * them on the synchronous driver itself (Kysely's own execution is asynchronous, which would let
 * other operations interleave inside a transaction).
 *
 * @module
 */
import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import type { StoreQueryBuilder } from '../sql/tables.js';

/** Creates a query builder for SQLite that cannot execute anything. */
export function createSqliteQueryBuilder(): StoreQueryBuilder {
  return new Kysely({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  });
}
