/**
 * Fresh, empty shared stores for the many-instances tests: a new PostgreSQL database on the test
 * server (dropped afterwards), or a Redis logical database of this test's own (flushed before and
 * after). The servers come from `CIMD_TEST_DATABASE_URL` and `CIMD_TEST_REDIS_URL`, which
 * `.ci/run` sets; without them the tests skip on a developer's machine and fail under CI.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

/** A shared store for one test file. */
export interface SharedBackend {
  /** What `cimd serve --database` is given. */
  url: string;
  /** Removes everything the test left. */
  dispose(): Promise<void>;
}

/** The URL of `name`'s test server, or `undefined` (skip) off CI; throws under CI. */
export function testServerUrl(name: 'CIMD_TEST_DATABASE_URL' | 'CIMD_TEST_REDIS_URL'): string | undefined {
  const url = process.env[name];
  if (url === undefined && process.env.CI === 'true') {
    throw new Error(`${name} is not set: .ci/run starts the test servers and sets it`);
  }
  return url;
}

/** A new database on the PostgreSQL server at `serverUrl`. */
export async function freshPostgresDatabase(serverUrl: string): Promise<SharedBackend> {
  const name = `cimd_e2e_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async dispose() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Redis logical database `index` on the server at `serverUrl`, emptied before and after. */
export async function freshRedisDatabase(serverUrl: string, index: number): Promise<SharedBackend> {
  const url = new URL(serverUrl);
  url.pathname = `/${index}`;
  const flush = async () => {
    const client = new Redis(url.href, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    try {
      await client.flushdb();
    } finally {
      client.disconnect();
    }
  };
  await flush();
  return { url: url.href, dispose: flush };
}
