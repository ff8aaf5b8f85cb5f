/**
 * The PostgreSQL server the store tests run against (CIMD_TEST_DATABASE_URL), a fresh schema
 * per test so parallel test files never share tables, and a raw pool to look inside.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, expect, vi } from 'vitest';

/** The test server's URL, when set. */
export const DATABASE_URL = process.env.CIMD_TEST_DATABASE_URL;

/** Skipped only on a developer's machine without a server; under CI=true a missing URL fails. */
export const SKIP_POSTGRES = DATABASE_URL === undefined && process.env.CI !== 'true';
if (SKIP_POSTGRES) {
  console.warn(
    '\n!!! test/store/postgres is SKIPPED: CIMD_TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:55432/postgres; scripts/test-services.sh starts one). Under CI=true this is a failure. !!!\n',
  );
}

/** The test server's URL; throws (failing the test) when it is not set. */
export function databaseUrl(): string {
  if (DATABASE_URL === undefined) {
    throw new Error('CIMD_TEST_DATABASE_URL is not set: the PostgreSQL store tests need a server');
  }
  return DATABASE_URL;
}

/** A pool of the test's own for creating, dropping and inspecting schemas. */
export function adminPool(options: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl(), max: 2, ...options });
  pool.on('error', () => undefined);
  return pool;
}

/**
 * The admin pool of one test file, opened when the tests run and ended after them; call at the
 * top level of the file. The returned function throws when the tests are skipped.
 */
export function adminPoolForFile(): () => pg.Pool {
  const pool = SKIP_POSTGRES ? undefined : adminPool();
  afterAll(async () => {
    await pool?.end();
  });
  return () => {
    if (pool === undefined) throw new Error('CIMD_TEST_DATABASE_URL is not set');
    return pool;
  };
}

/** A schema name no other test uses. */
export function randomSchemaName(): string {
  return `cimd_test_${randomBytes(8).toString('hex')}`;
}

/** A fresh, empty schema; `drop` removes it with everything in it. */
export async function temporarySchema(admin: pg.Pool): Promise<{ name: string; drop: () => Promise<void> }> {
  const name = randomSchemaName();
  await admin.query(`create schema "${name}"`);
  return { name, drop: () => dropSchema(admin, name) };
}

/** Drops `name` and everything in it, if it exists. */
export async function dropSchema(admin: pg.Pool, name: string): Promise<void> {
  await admin.query(`drop schema if exists "${name}" cascade`);
}

/** How many rows `table` of `schema` has. */
export async function rowCount(admin: pg.Pool, schema: string, table: string): Promise<number> {
  const result = await admin.query<{ n: string }>(`select count(*) as n from "${schema}"."${table}"`);
  return Number(result.rows[0]?.n);
}

/**
 * Waits (5 s at most) until exactly one connection of `applicationName` waits for a row lock,
 * checks its pid with `check`, and terminates it from `admin`, as a server restart or a killed
 * backend would.
 */
export async function terminateLockWaiter(
  admin: pg.Pool,
  applicationName: string,
  check: (pid: number) => void = () => undefined,
): Promise<void> {
  await vi.waitFor(
    async () => {
      const { rows } = await admin.query<{ pid: number }>(
        "select pid from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'",
        [applicationName],
      );
      expect(rows).toHaveLength(1);
      const pid = (rows[0] as { pid: number }).pid;
      check(pid);
      await admin.query('select pg_terminate_backend($1)', [pid]);
    },
    { timeout: 5000, interval: 20 },
  );
}
