/**
 * The PostgreSQL store's pipelined connections: single statements share them while transactions
 * take pooled connections, a connection holding a stale prepared statement is retired and the
 * calls on it succeed on its successor, a lost one fails only what it carried and is reopened,
 * and the option's bounds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isCimdError } from '../../../src/errors.js';
import { createPostgresStore, type PostgresStoreOptions } from '../../../src/store/postgres/index.js';
import { TestClock } from '../clock.js';
import { clientRecord, codeRecord, concurrently, MINUTE, tally } from '../fixtures.js';
import {
  adminPoolForFile,
  databaseUrl,
  randomSchemaName,
  SKIP_POSTGRES,
  temporarySchema,
  terminateLockWaiter,
} from './postgres-schemas.js';

/** The admin pool (only used when the tests run). */
const adminOf = adminPoolForFile();

describe.skipIf(SKIP_POSTGRES)('PostgreSQL store pipelined connections', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A store on its own connections, all named `name` (set through the URL) so the test can find them. */
  async function open(options: Partial<PostgresStoreOptions> = {}) {
    const schema = await temporarySchema(adminOf());
    cleanups.push(schema.drop);
    const name = `cimd-test-${randomSchemaName()}`;
    const store = await createPostgresStore({
      connectionString: `${databaseUrl()}?application_name=${name}`,
      schema: schema.name,
      now: new TestClock().now,
      cleanupIntervalMs: 0,
      ...options,
    });
    cleanups.push(() => store.close());
    return { store, schema: schema.name, name };
  }

  /** The backend process ids of the connections named `name`. */
  async function backends(name: string): Promise<number[]> {
    const { rows } = await adminOf().query<{ pid: number }>(
      'select pid from pg_stat_activity where application_name = $1',
      [name],
    );
    return rows.map((row) => row.pid);
  }

  it('runs 200 concurrent single-statement calls on one pipelined connection, beside the pooled one the migration used', async () => {
    const { store, name } = await open({ maxConnections: 4, pipelinedConnections: 1 });
    await store.saveClient(clientRecord());
    const results = await concurrently(
      200,
      (i): Promise<unknown> =>
        i % 2 === 0 ? store.getClient('dcr-7f3a') : store.recordJti('client-a', `jti-${i}`, MINUTE),
    );
    expect(results.filter((result) => result === true)).toHaveLength(100);
    // Through the pool, 200 calls at once would have opened all 3 of its connections.
    expect(await backends(name)).toHaveLength(2);
  });

  it('retires a pipelined connection whose prepared statements another instance made stale; the calls on it succeed', async () => {
    const { store, schema } = await open({ maxConnections: 4, pipelinedConnections: 1 });
    await store.saveClient(clientRecord());
    expect(await store.getClient('dcr-7f3a')).toStrictEqual(clientRecord());
    await adminOf().query(`alter table "${schema}".cimd_client add column added_later text`);
    const results = await concurrently(20, () => store.getClient('dcr-7f3a'));
    for (const result of results) expect(result).toStrictEqual(clientRecord());
  });

  it('a pipelined connection the server terminates fails only the call it carried, and the next call reconnects', async () => {
    const { store, schema, name } = await open({ maxConnections: 4, pipelinedConnections: 1 });
    // Only the pooled connection the migration used is open before the first single statement.
    const pooled = new Set(await backends(name));
    await store.saveCode('hash-1', codeRecord(), MINUTE);
    const holder = await adminOf().connect();
    try {
      await holder.query('begin');
      await holder.query(`select * from "${schema}".cimd_code where code_hash = 'hash-1' for update`);
      // The consumption waits for the holder's row lock on the pipelined connection: kill it there.
      const consuming = store.consumeCode('hash-1').catch((e: unknown) => e);
      await terminateLockWaiter(adminOf(), name, (pid) => expect(pooled.has(pid)).toBe(false));
      expect(isCimdError(await consuming, 'ERR_STORE_UNAVAILABLE')).toBe(true);
    } finally {
      await holder.query('rollback');
      holder.release();
    }
    // The killed statement changed nothing, and the next calls run on a new pipelined connection.
    const results = await concurrently(10, () => store.consumeCode('hash-1'));
    expect(tally(results, (r) => r.status)).toStrictEqual({ consumed: 1, reused: 9 });
  });

  it('a statement left unanswered past queueTimeoutMs closes its pipelined connection; the next call reconnects', async () => {
    const { store, schema, name } = await open({
      maxConnections: 4,
      pipelinedConnections: 1,
      queueTimeoutMs: 300,
    });
    expect(await store.recordJti('client-a', 'held', MINUTE)).toBe(true);
    const before = await backends(name);
    // Another session holds the jti row: the pipelined upsert of it waits, unanswered.
    const holder = await adminOf().connect();
    try {
      await holder.query('begin');
      await holder.query(`select * from "${schema}".cimd_jti where jti = 'held' for update`);
      await expect(store.recordJti('client-a', 'held', MINUTE)).rejects.toThrow();
    } finally {
      await holder.query('rollback');
      holder.release();
    }
    expect(await store.recordJti('client-a', 'next', MINUTE)).toBe(true);
    const after = await backends(name);
    expect(after.some((pid) => !before.includes(pid))).toBe(true);
  });

  it('pipelinedConnections 0 runs everything on the pool', async () => {
    const { store, name } = await open({ maxConnections: 3, pipelinedConnections: 0 });
    await concurrently(60, (i) => store.recordJti('client-a', `jti-${i}`, MINUTE));
    expect(await backends(name)).toHaveLength(3);
  });
});

describe('the pipelinedConnections option', () => {
  const url = 'postgres://postgres@127.0.0.1:1/postgres';
  it.each([
    { connectionString: url, pipelinedConnections: -1 },
    { connectionString: url, pipelinedConnections: 1.5 },
    { connectionString: url, pipelinedConnections: '2' },
    { connectionString: url, pipelinedConnections: 10 },
    { connectionString: url, maxConnections: 2, pipelinedConnections: 2 },
  ])('rejects %o', async (options) => {
    const error = await createPostgresStore(options as unknown as PostgresStoreOptions).catch(
      (e: unknown) => e,
    );
    expect(isCimdError(error, 'ERR_INVALID_OPTION')).toBe(true);
    expect((error as Error).message).toMatch(/pipelinedConnections must be a whole number from 0 to/);
  });
});
