/**
 * The PostgreSQL store's connections: a pool the application owns, bigint parsing kept to the
 * store's own queries, named prepared statements (and their recovery when another instance
 * changes a table), a connection the server kills mid-transaction, strings PostgreSQL text cannot
 * hold, the cleanup timer, options and the driver.
 */
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isCimdError } from '../../../src/errors.js';
import { loadPgDriver } from '../../../src/store/postgres/driver.js';
import { createPostgresStore, type PostgresStoreOptions } from '../../../src/store/postgres/index.js';
import { TestClock } from '../clock.js';
import { clientRecord, codeRecord, familyRecord, MINUTE } from '../fixtures.js';
import {
  adminPool,
  adminPoolForFile,
  databaseUrl,
  randomSchemaName,
  rowCount,
  SKIP_POSTGRES,
  temporarySchema,
  terminateLockWaiter,
} from './postgres-schemas.js';

/** The admin pool (only used when the tests run). */
const adminOf = adminPoolForFile();

describe.skipIf(SKIP_POSTGRES)('PostgreSQL store connections', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    vi.useRealTimers();
  });

  async function freshSchema(): Promise<string> {
    const schema = await temporarySchema(adminOf());
    cleanups.push(schema.drop);
    return schema.name;
  }

  /** A pool the test owns, as an application would, with a name to find its connections by. */
  function applicationPool(max: number): { pool: pg.Pool; name: string } {
    const name = `cimd-test-${randomSchemaName()}`;
    const pool = adminPool({ max, application_name: name });
    cleanups.push(() => pool.end());
    return { pool, name };
  }

  async function open(options: Partial<PostgresStoreOptions>) {
    const base: PostgresStoreOptions = options.pool === undefined ? { connectionString: databaseUrl() } : {};
    const store = await createPostgresStore({
      ...base,
      schema: await freshSchema(),
      now: new TestClock().now,
      cleanupIntervalMs: 0,
      ...options,
    });
    cleanups.push(() => store.close());
    return store;
  }

  it("works on the application's pool, leaves it open on close, and keeps bigint parsing to itself", async () => {
    const { pool } = applicationPool(3);
    const store = await open({ pool });
    await store.createRefreshFamily(familyRecord(), 'rt-0');
    expect(await store.findRefreshFamily('rt-0')).toStrictEqual(familyRecord());
    await store.close();
    const { rows } = await pool.query<{ big: unknown }>('select 9007199254740993::int8 as big');
    expect(rows[0]?.big).toBe('9007199254740993');
    expect(pg.types.getTypeParser(20)('42')).toBe('42');
  });

  it('runs its data statements as named prepared statements', async () => {
    const { pool } = applicationPool(1);
    const store = await open({ pool });
    await store.recordJti('client-a', 'jti-1', MINUTE);
    await store.saveCode('hash-1', codeRecord(), MINUTE);
    await store.consumeCode('hash-1');
    const { rows } = await pool.query<{ name: string; statement: string }>(
      'select name, statement from pg_prepared_statements',
    );
    const statements = rows.filter((row) => row.name.startsWith('cimd_')).map((row) => row.statement);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^insert into .*"cimd_jti"/),
        expect.stringMatching(/^update .*"cimd_code"/),
      ]),
    );
  });

  it('recovers when another instance changes a table under its prepared statements', async () => {
    const { pool } = applicationPool(1);
    const schema = await freshSchema();
    const store = await open({ pool, schema });
    await store.saveClient(clientRecord());
    await store.saveCode('hash-1', codeRecord(), MINUTE);
    expect((await store.consumeCode('hash-1')).status).toBe('consumed');
    expect(await store.getClient('dcr-7f3a')).toStrictEqual(clientRecord());
    await adminOf().query(`alter table "${schema}".cimd_code add column added_later text`);
    await adminOf().query(`alter table "${schema}".cimd_client add column added_later text`);
    await store.saveCode('hash-2', codeRecord(), MINUTE);
    expect((await store.consumeCode('hash-2')).status).toBe('consumed');
    expect(await store.getClient('dcr-7f3a')).toStrictEqual(clientRecord());
  });

  it('a connection the server kills mid-transaction rejects with ERR_STORE_UNAVAILABLE and rolls back', async () => {
    const { pool, name } = applicationPool(2);
    const schema = await freshSchema();
    const store = await open({ pool, schema });
    await store.saveCode('hash-1', codeRecord(), MINUTE);
    const holder = await adminOf().connect();
    try {
      await holder.query('begin');
      await holder.query(`select * from "${schema}".cimd_code where code_hash = 'hash-1' for update`);
      const consuming = store.consumeCode('hash-1').catch((e: unknown) => e);
      await terminateLockWaiter(adminOf(), name);
      const error = await consuming;
      expect(isCimdError(error, 'ERR_STORE_UNAVAILABLE')).toBe(true);
    } finally {
      await holder.query('rollback');
      holder.release();
    }
    expect((await store.consumeCode('hash-1')).status).toBe('consumed');
  });

  it('keeps strings PostgreSQL text cannot hold, and tells apart those that look escaped', async () => {
    const store = await open({});
    for (const jti of ['a\u0000b', 'a\u0001\u0002b', 'a\u0001b', 'a\u0001\u0001b', '\u0001', '\u0000']) {
      expect(await store.recordJti('client-a', jti, MINUTE), JSON.stringify(jti)).toBe(true);
    }
    expect(await store.recordJti('client-a', 'a\u0000b', MINUTE)).toBe(false);
    const client = clientRecord({ clientId: 'nul\u0000and\u0001escape' });
    await store.saveClient(client);
    expect(await store.getClient(client.clientId)).toStrictEqual(client);
  });

  it('deletes expired rows every cleanupIntervalMs, with a timer that does not hold the process', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const clock = new TestClock();
    const schema = await freshSchema();
    const store = await open({ schema, now: clock.now, cleanupIntervalMs: MINUTE });
    expect(vi.getTimerCount()).toBe(1);
    await store.recordJti('client-a', 'short', MINUTE);
    await store.recordJti('client-a', 'long', 10 * MINUTE);
    await store.saveCode('code', codeRecord(), MINUTE);
    await store.createRefreshFamily(familyRecord({ expiresAt: clock.now() + MINUTE }), 'rt-0');
    await store.rotateRefreshToken('rt-0', 'rt-1');
    const live = familyRecord({ familyId: 'live', grantId: 'g-live', expiresAt: clock.now() + 10 * MINUTE });
    await store.createRefreshFamily(live, 'rt-live-0');
    await store.rotateRefreshToken('rt-live-0', 'rt-live-1');
    await store.revokeGrant('g-old');
    await store.cacheSet('k', 'v', MINUTE);
    clock.advance(2 * MINUTE);
    vi.advanceTimersByTime(MINUTE);
    const expired = ['cimd_code', 'cimd_cache'];
    await vi.waitFor(
      async () => {
        for (const table of expired) expect(await rowCount(adminOf(), schema, table), table).toBe(0);
        // The expired family goes with both its tokens; the live one keeps its two.
        expect(await rowCount(adminOf(), schema, 'cimd_refresh_family')).toBe(1);
        expect(await rowCount(adminOf(), schema, 'cimd_refresh_token')).toBe(2);
      },
      { timeout: 5000, interval: 20 },
    );
    expect((await store.rotateRefreshToken('rt-live-1', 'rt-live-2')).status).toBe('rotated');
    expect(await rowCount(adminOf(), schema, 'cimd_jti')).toBe(1);
    expect(await rowCount(adminOf(), schema, 'cimd_revoked_grant')).toBe(1);
    await store.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cleanupIntervalMs 0 starts no timer', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    await open({ cleanupIntervalMs: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('works on the real clock with default options', async () => {
    const store = await createPostgresStore({ connectionString: databaseUrl(), schema: await freshSchema() });
    cleanups.push(() => store.close());
    expect(await store.recordJti('c', 'j', MINUTE)).toBe(true);
    expect(await store.recordJti('c', 'j', MINUTE)).toBe(false);
  });
});

describe('createPostgresStore options', () => {
  const url = 'postgres://postgres@127.0.0.1:1/postgres';
  it.each([
    {},
    { connectionString: url, pool: {} },
    { connectionString: '' },
    { connectionString: 'mysql://127.0.0.1/db' },
    { connectionString: 42 },
    { pool: {} },
    { pool: null },
    { connectionString: url, schema: '' },
    { connectionString: url, schema: '1abc' },
    { connectionString: url, schema: 'a"b' },
    { connectionString: url, schema: 'x'.repeat(64) },
    { connectionString: url, schema: 42 },
    { connectionString: url, maxConnections: 0 },
    { connectionString: url, maxConnections: 1.5 },
    { connectionString: url, connectionTimeoutMs: 0 },
    { connectionString: url, cleanupIntervalMs: -1 },
    { connectionString: url, cleanupIntervalMs: 2 ** 31 },
    { connectionString: url, now: 5 },
  ])('rejects %o', async (options) => {
    const error = await createPostgresStore(options as unknown as PostgresStoreOptions).catch(
      (e: unknown) => e,
    );
    expect(isCimdError(error, 'ERR_INVALID_OPTION')).toBe(true);
  });

  it('rejects missing options', async () => {
    const error = await createPostgresStore(undefined as unknown as PostgresStoreOptions).catch(
      (e: unknown) => e,
    );
    expect(isCimdError(error, 'ERR_INVALID_OPTION')).toBe(true);
  });
});

describe('the pg driver', () => {
  it('a missing pg is reported with how to install it', async () => {
    const missing = Object.assign(new Error("Cannot find package 'pg'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const error = await loadPgDriver(() => Promise.reject(missing)).catch((e: unknown) => e);
    expect(isCimdError(error, 'ERR_STORE_DRIVER')).toBe(true);
    expect((error as Error).message).toMatch(
      /needs the pg package.*Cannot find package 'pg'.*npm install pg/,
    );
    expect((error as Error).cause).toBe(missing);
  });

  it('a pg without Pool is reported', async () => {
    await expect(loadPgDriver(async () => ({ default: {} }))).rejects.toThrow(/npm install pg/);
  });
});
