/**
 * The SQLite store: the contract on a private in-memory database, on a file, and on two handles
 * sharing one file (as two server instances would), plus what is particular to SQLite: WAL,
 * the schema version, locking across connections, the cleanup timer, options and the driver.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isCimdError } from '../../../src/errors.js';
import { createLifecycle } from '../../../src/store/lifecycle.js';
import { migrate, recordedVersions, SCHEMA_VERSION } from '../../../src/store/sql/schema.js';
import { createSqlStore } from '../../../src/store/sql/sql-store.js';
import { loadSqliteDriver } from '../../../src/store/sqlite/driver.js';
import { createSqliteStore, type SqliteStoreOptions } from '../../../src/store/sqlite/index.js';
import { createSqliteQueryBuilder } from '../../../src/store/sqlite/query-builder.js';
import { createSqliteRunner } from '../../../src/store/sqlite/runner.js';
import { alternating } from '../alternating.js';
import { START_TIME, TestClock } from '../clock.js';
import { describeStoreContract } from '../contract.js';
import {
  codeRecord,
  concurrently,
  consentRecord,
  documentSighting,
  familyRecord,
  MINUTE,
  tally,
} from '../fixtures.js';
import { rawQuery, rowCount, temporaryDatabase } from './sqlite-files.js';

describeStoreContract('SQLite :memory:', async (now) => ({
  store: await createSqliteStore({ path: ':memory:', now, cleanupIntervalMs: 0 }),
}));

describeStoreContract(
  'SQLite file',
  async (now) => {
    const file = await temporaryDatabase();
    const open = () => createSqliteStore({ path: file.path, now });
    return { store: await open(), reopen: open, dispose: file.remove };
  },
  { persistent: true },
);

describeStoreContract(
  'SQLite, two handles on one file',
  async (now) => {
    const file = await temporaryDatabase();
    const open = async () =>
      alternating(
        await Promise.all([
          createSqliteStore({ path: file.path, now }),
          createSqliteStore({ path: file.path, now }),
        ]),
      );
    return { store: await open(), reopen: open, dispose: file.remove };
  },
  { persistent: true },
);

describe('SQLite store on a shared file', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    vi.useRealTimers();
  });

  async function openFile(options: Partial<SqliteStoreOptions> = {}) {
    const file = await temporaryDatabase();
    cleanups.push(file.remove);
    const open = async (more: Partial<SqliteStoreOptions> = {}) => {
      const store = await createSqliteStore({
        path: file.path,
        now: new TestClock().now,
        ...options,
        ...more,
      });
      cleanups.push(() => store.close());
      return store;
    };
    return { path: file.path, open };
  }

  it('PKJ-09: a jti recorded by one instance is a replay for another', async () => {
    const { open } = await openFile();
    const [a, b] = [await open(), await open()];
    expect(await a.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
    expect(await b.recordJti('client-a', 'jti-1', MINUTE)).toBe(false);
  });

  it('PKCE-AS-08: a code consumed by one instance is reused for another, and only one of many wins', async () => {
    const { open } = await openFile();
    const [a, b] = [await open(), await open()];
    await a.saveCode('hash-1', codeRecord(), MINUTE);
    expect((await a.consumeCode('hash-1')).status).toBe('consumed');
    expect((await b.consumeCode('hash-1')).status).toBe('reused');
    await b.saveCode('hash-2', codeRecord(), MINUTE);
    const results = await concurrently(100, (i) => (i % 2 === 0 ? a : b).consumeCode('hash-2'));
    expect(tally(results, (r) => r.status)).toStrictEqual({ consumed: 1, reused: 99 });
  });

  it('MCP-AS-13: one rotation wins across instances, and reuse seen by one revokes for both', async () => {
    const { open } = await openFile();
    const [a, b] = [await open(), await open()];
    await a.createRefreshFamily(familyRecord(), 'rt-0');
    const results = await concurrently(50, (i) =>
      (i % 2 === 0 ? a : b).rotateRefreshToken('rt-0', `rt-new-${i}`),
    );
    expect(tally(results, (r) => r.status)).toStrictEqual({ rotated: 1, reused: 49 });
    await b.createRefreshFamily(familyRecord({ familyId: 'f2', grantId: 'g2' }), 'rt-x0');
    expect((await a.rotateRefreshToken('rt-x0', 'rt-x1')).status).toBe('rotated');
    expect((await b.rotateRefreshToken('rt-x0', 'rt-x2')).status).toBe('reused');
    expect((await a.rotateRefreshToken('rt-x1', 'rt-x3')).status).toBe('revoked');
  });

  it('a write waits for another connection holding the lock, then sees its commit', async () => {
    const { path, open } = await openFile();
    const store = await open();
    const libsqlPath = createRequire(import.meta.url).resolve('libsql');
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const Database = require(workerData.libsqlPath);
       const db = new Database(workerData.path);
       db.exec('BEGIN IMMEDIATE');
       db.prepare('insert into cimd_jti (client_id, jti, expires_at) values (?, ?, ?)').run(['client-a', 'jti-1', workerData.expiresAt]);
       parentPort.postMessage('locked');
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
       db.exec('COMMIT');
       db.close();`,
      { eval: true, workerData: { libsqlPath, path, expiresAt: START_TIME + MINUTE } },
    );
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    await new Promise((resolve) => worker.once('message', resolve));
    expect(await store.recordJti('client-a', 'jti-1', MINUTE)).toBe(false);
    await exited;
  });

  it('a write fails after busyTimeoutMs when another connection keeps the lock, leaving nothing behind', async () => {
    const { path, open } = await openFile({ busyTimeoutMs: 50 });
    const store = await open();
    const Database = await loadSqliteDriver();
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    try {
      await expect(store.recordJti('client-a', 'jti-1', MINUTE)).rejects.toThrow(/locked|busy/i);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(await store.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
  });

  it('uses WAL journal mode for a file', async () => {
    const { path, open } = await openFile();
    await open();
    expect(rawQuery(path, 'pragma journal_mode')[0]?.journal_mode).toBe('wal');
  });

  it('creates the schema once and records its version; reopening changes nothing', async () => {
    const { path, open } = await openFile();
    const [first, second] = await Promise.all([open(), open()]);
    await first.cacheSet('k', 'v', MINUTE);
    await first.close();
    await second.close();
    await open();
    expect(rawQuery(path, 'select version from cimd_schema_version order by version')).toStrictEqual(
      Array.from({ length: SCHEMA_VERSION }, (_, i) => ({ version: i + 1 })),
    );
    expect(recordedVersions(createSqliteQueryBuilder())).toHaveLength(SCHEMA_VERSION);
    expect(rowCount(path, 'cimd_cache')).toBe(1);
  });

  it('refuses a database written by a newer version, saying what to do', async () => {
    const { path, open } = await openFile();
    await (await open()).close();
    rawQuery(path, 'insert into cimd_schema_version (version, applied_at) values (?, ?)', [
      SCHEMA_VERSION + 1,
      0,
    ]);
    await expect(open()).rejects.toThrow(
      new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer .* upgrade mcp-cimd`),
    );
  });

  it('migrates a version-1 database to the current version, keeping its data', async () => {
    const { path, open } = await openFile();
    const clock = new TestClock();
    const Database = await loadSqliteDriver();
    const runner = createSqliteRunner(new Database(path));
    const db = createSqliteQueryBuilder();
    expect(await runner.write(() => migrate(db, clock.now(), 1))).toBe(0);
    const lifecycle = createLifecycle('version-1 store', 'reopen it');
    const v1 = createSqlStore({ runner, db, now: clock.now, cleanupIntervalMs: 0, lifecycle });
    await v1.recordJti('client-a', 'jti-1', MINUTE);
    await v1.saveCode('code-1', codeRecord(), MINUTE);
    await v1.createRefreshFamily(familyRecord(), 'rt-0');
    await v1.saveConsent(consentRecord());
    await v1.cacheSet('k', 'v', MINUTE);
    await v1.close();
    expect(rawQuery(path, 'select version from cimd_schema_version')).toStrictEqual([{ version: 1 }]);
    const tokenExpiryIndex =
      "select name from sqlite_master where type = 'index' and name = 'cimd_refresh_token_expires_at'";
    expect(rawQuery(path, tokenExpiryIndex)).toHaveLength(1);
    const tokenFamilyIndex =
      "select name from sqlite_master where type = 'index' and name = 'cimd_refresh_token_family_id'";
    expect(rawQuery(path, tokenFamilyIndex)).toHaveLength(1);

    const store = await open({ now: clock.now });
    expect(rawQuery(path, 'select version from cimd_schema_version order by version')).toStrictEqual(
      Array.from({ length: SCHEMA_VERSION }, (_, i) => ({ version: i + 1 })),
    );
    // Version 4: tokens expire with their families, without an index of their own.
    expect(rawQuery(path, tokenExpiryIndex)).toHaveLength(0);
    // Version 5: nor by their family's (the sweep walks them by key).
    expect(rawQuery(path, tokenFamilyIndex)).toHaveLength(0);
    expect(await store.recordJti('client-a', 'jti-1', MINUTE)).toBe(false);
    expect(await store.consumeCode('code-1')).toStrictEqual({ status: 'consumed', record: codeRecord() });
    expect(await store.listRefreshFamilies({ userId: 'user-1' })).toStrictEqual([familyRecord()]);
    expect((await store.rotateRefreshToken('rt-0', 'rt-1')).status).toBe('rotated');
    expect(await store.listConsents({})).toStrictEqual([consentRecord()]);
    expect(await store.cacheGet('k')).toBe('v');
    expect(await store.recordClientDocument(documentSighting())).toBe(true);
    expect(await store.putState('s', 'v', null)).toBe(true);
    expect(await store.acquireLock('l', 'a', MINUTE)).toBe(true);
  });

  it('says which file it could not open', async () => {
    const { path, open } = await openFile();
    const missing = `${path}-missing-directory/store.db`;
    await expect(open({ path: missing })).rejects.toThrow(
      /Could not open the SQLite database at .*missing-directory/,
    );
  });

  it('deletes expired rows every cleanupIntervalMs, with a timer that does not hold the process', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const clock = new TestClock();
    const { path, open } = await openFile({ now: clock.now, cleanupIntervalMs: MINUTE });
    const store = await open();
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
    await store.acquireLock('lock', 'owner', MINUTE);
    await store.recordClientDocument(documentSighting());
    await store.putState('state', 'v');
    clock.advance(2 * MINUTE);
    vi.advanceTimersByTime(MINUTE);
    // The sweep is queued writes (the expired rows, then the token walk a batch at a time): a read
    // joins the queue behind each, so a few reads settle after the last.
    for (let i = 0; i < 5; i++) await store.getState('state');
    expect(rowCount(path, 'cimd_jti')).toBe(1);
    for (const table of ['cimd_code', 'cimd_cache', 'cimd_lock']) {
      expect(rowCount(path, table), table).toBe(0);
    }
    // The expired family goes with both its tokens; the live one keeps its two.
    expect(rawQuery(path, 'select family_id from cimd_refresh_family')).toStrictEqual([
      { family_id: 'live' },
    ]);
    expect(rawQuery(path, 'select distinct family_id from cimd_refresh_token')).toStrictEqual([
      { family_id: 'live' },
    ]);
    expect(rowCount(path, 'cimd_refresh_token')).toBe(2);
    expect((await store.rotateRefreshToken('rt-live-1', 'rt-live-2')).status).toBe('rotated');
    expect(rowCount(path, 'cimd_revoked_grant')).toBe(1);
    expect(rowCount(path, 'cimd_client_document')).toBe(1);
    expect(rowCount(path, 'cimd_state')).toBe(1);
    await store.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cleanupIntervalMs 0 starts no timer', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { open } = await openFile({ cleanupIntervalMs: 0 });
    await open();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('createSqliteStore options', () => {
  it.each([
    {},
    { path: '' },
    { path: '   ' },
    { path: 42 },
    { path: ':memory:', now: 5 },
    { path: ':memory:', cleanupIntervalMs: -1 },
    { path: ':memory:', cleanupIntervalMs: 1.5 },
    { path: ':memory:', cleanupIntervalMs: 2 ** 31 },
    { path: ':memory:', busyTimeoutMs: -1 },
    { path: ':memory:', busyTimeoutMs: '5000' },
  ])('rejects %o', async (options) => {
    const error = await createSqliteStore(options as unknown as SqliteStoreOptions).catch((e: unknown) => e);
    expect(isCimdError(error, 'ERR_INVALID_OPTION')).toBe(true);
  });

  it('rejects missing options', async () => {
    const error = await createSqliteStore(undefined as unknown as SqliteStoreOptions).catch(
      (e: unknown) => e,
    );
    expect(isCimdError(error, 'ERR_INVALID_OPTION')).toBe(true);
  });

  it('works on the real clock with default options', async () => {
    const store = await createSqliteStore({ path: ':memory:' });
    expect(await store.recordJti('c', 'j', MINUTE)).toBe(true);
    expect(await store.recordJti('c', 'j', MINUTE)).toBe(false);
    await store.close();
  });
});

describe('the SQLite driver', () => {
  it('a missing libsql is reported with how to install it', async () => {
    const missing = Object.assign(new Error("Cannot find package 'libsql'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const error = await loadSqliteDriver(() => Promise.reject(missing)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /needs the libsql package.*Cannot find package 'libsql'.*npm install libsql/,
    );
    expect((error as Error).cause).toBe(missing);
  });

  it('a libsql without a Database export is reported', async () => {
    await expect(loadSqliteDriver(async () => ({ default: {} }))).rejects.toThrow(/npm install libsql/);
  });
});
