/**
 * One store shared by several authorization servers, on each real backend: memory (one store
 * object, as in one process), SQLite (one file, a connection per instance), PostgreSQL (a fresh
 * schema, a pool per instance) and Redis (a fresh key prefix, a client per instance). PostgreSQL
 * and Redis are skipped, saying why, only when their URL is unset and CI is not `true`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore } from '../../../src/store/memory/memory-store.js';
import { createPostgresStore } from '../../../src/store/postgres/index.js';
import { createRedisStore } from '../../../src/store/redis/index.js';
import { createSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../../src/store/store.js';
import { adminPool, DATABASE_URL, temporarySchema } from '../../store/postgres/postgres-schemas.js';
import { adminClient, deletePrefix, REDIS_URL, uniquePrefix } from '../../store/redis/redis-server.js';

/** The stores of one test: each {@link SharedStore.connect} is another instance's view of the same data. */
export interface SharedStore {
  /** A store on the shared data (a new connection, except for memory: the one store). */
  connect(): Promise<Store>;
  /** The prefix or schema that sets this test's data apart (for looking inside). */
  readonly namespace: string;
  /** Closes every connection and removes the data. */
  dispose(): Promise<void>;
}

/** A backend the tests run on. */
export interface Backend {
  name: string;
  /** Why it is skipped, or undefined when it runs. */
  skip: string | undefined;
  open(): Promise<SharedStore>;
}

function skipWithout(variable: string, value: string | undefined): string | undefined {
  if (value !== undefined || process.env.CI === 'true') return undefined;
  return `${variable} is not set`;
}

function tracking(namespace: string, make: () => Promise<Store>, remove: () => Promise<void>): SharedStore {
  const opened: Store[] = [];
  return {
    namespace,
    connect: async () => {
      const store = await make();
      opened.push(store);
      return store;
    },
    dispose: async () => {
      await Promise.all(opened.map((store) => store.close()));
      await remove();
    },
  };
}

export const BACKENDS: readonly Backend[] = [
  {
    name: 'memory',
    skip: undefined,
    open: async () => {
      const store = createMemoryStore();
      return { namespace: '', connect: async () => store, dispose: () => store.close() };
    },
  },
  {
    name: 'SQLite',
    skip: undefined,
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cimd-purge-'));
      const path = join(dir, 'cimd.sqlite');
      return tracking(
        path,
        () => createSqliteStore({ path }),
        async () => rmSync(dir, { recursive: true, force: true }),
      );
    },
  },
  {
    name: 'PostgreSQL',
    skip: skipWithout('CIMD_TEST_DATABASE_URL', DATABASE_URL),
    open: async () => {
      const admin = adminPool();
      const schema = await temporarySchema(admin);
      return tracking(
        schema.name,
        () =>
          createPostgresStore({
            connectionString: DATABASE_URL as string,
            schema: schema.name,
            cleanupIntervalMs: 0,
          }),
        async () => {
          await schema.drop();
          await admin.end();
        },
      );
    },
  },
  {
    name: 'Redis',
    skip: skipWithout('CIMD_TEST_REDIS_URL', REDIS_URL),
    open: async () => {
      const keyPrefix = uniquePrefix();
      return tracking(
        keyPrefix,
        () => createRedisStore({ url: REDIS_URL as string, keyPrefix }),
        async () => {
          const client = adminClient();
          await deletePrefix(client, keyPrefix);
          await client.quit();
        },
      );
    },
  },
];
