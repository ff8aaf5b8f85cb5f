/**
 * A Kysely instance that only compiles queries to PostgreSQL's dialect, with every table
 * qualified by the store's schema; the PostgreSQL runner executes them on `pg` itself.
 *
 * @module
 */
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import type { StoreQueryBuilder } from '../sql/tables.js';

/** Creates a query builder for PostgreSQL that cannot execute anything; tables live in `schema`. */
export function createPostgresQueryBuilder(schema: string): StoreQueryBuilder {
  const db: StoreQueryBuilder = new Kysely({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (kysely) => new PostgresIntrospector(kysely),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  return db.withSchema(schema);
}
