/**
 * The PostgreSQL store: the contract on a fresh schema per test (one store, and two stores on
 * two pools sharing the schema as two instances would), then what is particular to PostgreSQL:
 * races across pools, concurrent migration under the advisory lock, the schema version, an
 * unreachable server, a pool the application owns, prepared statements, lost connections and
 * the cleanup timer.
 */
import { createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { isCimdError } from '../../../src/errors.js';
import { createPostgresStore, type PostgresStoreOptions } from '../../../src/store/postgres/index.js';
import { SCHEMA_VERSION } from '../../../src/store/sql/schema.js';
import type { Store } from '../../../src/store/store.js';
import { alternating } from '../alternating.js';
import { TestClock } from '../clock.js';
import { describeStoreContract } from '../contract.js';
import { codeRecord, concurrently, familyRecord, MINUTE, tally } from '../fixtures.js';
import {
  adminPool,
  DATABASE_URL,
  databaseUrl,
  dropSchema,
  randomSchemaName,
  rowCount,
  SKIP_POSTGRES,
  temporarySchema,
} from './postgres-schemas.js';

const admin = SKIP_POSTGRES ? undefined : adminPool();
afterAll(async () => {
  await admin?.end();
});

/** The admin pool (only used when the tests run). */
function adminOf(): pg.Pool {
  if (admin === undefined) throw new Error('CIMD_TEST_DATABASE_URL is not set');
  return admin;
}

describe.skipIf(SKIP_POSTGRES)('PostgreSQL store', () => {
  describeStoreContract(
    'PostgreSQL',
    async (now) => {
      const schema = await temporarySchema(adminOf());
      const open = () =>
        createPostgresStore({ connectionString: databaseUrl(), schema: schema.name, now, cleanupIntervalMs: 0 });
      return { store: await open(), reopen: open, dispose: schema.drop };
    },
    { persistent: true },
  );

  describeStoreContract(
    'PostgreSQL, two stores on two pools sharing one schema',
    async (now) => {
      const schema = await temporarySchema(adminOf());
      const open = async () =>
        alternating(
          await Promise.all(
            [1, 2].map(() =>
              createPostgresStore({
                connectionString: databaseUrl(),
                schema: schema.name,
                now,
                cleanupIntervalMs: 0,
                maxConnections: 4,
              }),
            ),
          ),
        );
      return { store: await open(), reopen: open, dispose: schema.drop };
    },
    { persistent: true },
  );
});
