/**
 * Turns compiled queries into `pg` query configs: named prepared statements for the store's
 * data statements, string parameters escaped (see `nul-escape.ts`), and `bigint` (int8) columns
 * read as numbers for this store's queries only.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { CompiledQuery } from 'kysely';
import type { CustomTypesConfig, QueryConfig } from 'pg';
import { escapeParameters } from './nul-escape.js';

/** The OID of PostgreSQL's `int8` (`bigint`) type. */
const INT8_OID = 20;

/** Statement kinds worth preparing: the small, fixed set the operations run again and again. */
const PREPARED_KINDS = new Set(['SelectQueryNode', 'InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode']);

/** Parses an `int8` value; the store's int8 columns hold epoch milliseconds and counts. */
function parseInt8(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) {
    throw new RangeError(`A bigint value read from the store does not fit a JavaScript number: ${value}`);
  }
  return parsed;
}

/**
 * The type parsers of this store's queries: `pg`'s own (whatever the application configured
 * globally), except `int8`, read as a number. Passed per query, so neither the global parsers nor
 * a pool the application shares with the store change.
 */
export function createTypeParsers(defaults: CustomTypesConfig): CustomTypesConfig {
  const getTypeParser = ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : defaults.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'];
  return { getTypeParser };
}

/**
 * The name of the prepared statement for `sql`: derived from the text alone, so the same text
 * gets the same name on every connection and from every store sharing a pool, and different
 * texts (other schemas, other versions of this package) never collide.
 */
export function statementName(sql: string): string {
  return `cimd_${createHash('sha256').update(sql).digest('hex').slice(0, 32)}`;
}

/** Builds `pg` query configs from compiled queries, remembering each statement's name. */
export function createStatementFactory(types: CustomTypesConfig): (query: CompiledQuery) => QueryConfig {
  const names = new Map<string, string>();
  return (query) => {
    const config: QueryConfig = { text: query.sql, values: escapeParameters(query.parameters), types };
    if (PREPARED_KINDS.has(query.query.kind)) {
      let name = names.get(query.sql);
      if (name === undefined) {
        name = statementName(query.sql);
        names.set(query.sql, name);
      }
      config.name = name;
    }
    return config;
  };
}
