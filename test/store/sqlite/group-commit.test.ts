/**
 * Group commit in the SQLite store: the writes of one event-loop turn share one transaction, a
 * failing one fails only its caller, reads see the writes queued before them, close settles
 * everything, and instances sharing a file still agree on every race. The store runs on a real
 * database file; the driver is libsql's, subclassed only to record the transaction statements.
 */
import { sql } from 'kysely';
import Database from 'libsql';
import { afterEach, describe, expect, it } from 'vitest';
import { isCimdError } from '../../../src/errors.js';
import { createLifecycle } from '../../../src/store/lifecycle.js';
import { migrate } from '../../../src/store/sql/schema.js';
import { createSqlStore } from '../../../src/store/sql/sql-store.js';
import { execute, selectFirst } from '../../../src/store/sql/steps.js';
import type { SqliteDatabase } from '../../../src/store/sqlite/driver.js';
import { openSqliteDatabase } from '../../../src/store/sqlite/driver.js';
import { MAX_BATCH_OPERATIONS } from '../../../src/store/sqlite/group-commit.js';
import { createSqliteStore } from '../../../src/store/sqlite/index.js';
import { createSqliteQueryBuilder } from '../../../src/store/sqlite/query-builder.js';
import { createSqliteRunner } from '../../../src/store/sqlite/runner.js';
import type { Store } from '../../../src/store/store.js';
import { TestClock } from '../clock.js';
import { clientRecord, concurrently, familyRecord, MINUTE, tally } from '../fixtures.js';
import { rawQuery, rowCount, temporaryDatabase } from './sqlite-files.js';

/** libsql's connection, recording every statement passed to `exec` (BEGIN, COMMIT, ROLLBACK). */
class RecordingDatabase extends Database {
  readonly executed: string[] = [];
  override exec(source: string) {
    this.executed.push(source);
    return super.exec(source);
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function databaseFile(): Promise<string> {
  const file = await temporaryDatabase();
  cleanups.push(file.remove);
  return file.path;
}

/** A store on a recording connection to a fresh file; `transactions()` takes what it executed since the last call. */
async function recordedStore(busyTimeoutMs = 5000) {
  const path = await databaseFile();
  const database = openSqliteDatabase(
    RecordingDatabase as unknown as new (
      path: string,
    ) => SqliteDatabase,
    path,
    busyTimeoutMs,
  ) as unknown as RecordingDatabase;
  const runner = createSqliteRunner(database);
  const db = createSqliteQueryBuilder();
  const clock = new TestClock();
  await runner.write(() => migrate(db, clock.now()));
  const lifecycle = createLifecycle('SQLite store', 'reopen it');
  const store = createSqlStore({ runner, db, now: clock.now, cleanupIntervalMs: 0, lifecycle });
  cleanups.push(() => store.close());
  const transactions = () => database.executed.splice(0);
  transactions();
  return { path, database, store, runner, db, transactions };
}

describe('SQLite group commit', () => {
  it('writes called in one turn share one transaction, invisible to another connection until it commits', async () => {
    const { path, store, transactions } = await recordedStore();
    const writes = Array.from({ length: 20 }, (_, i) => store.recordJti('client-a', `jti-${i}`, MINUTE));
    const committedBeforeFirstAnswer = writes[0]?.then(() => transactions());
    expect(rowCount(path, 'cimd_jti')).toBe(0);
    expect(await Promise.all(writes)).toStrictEqual(Array(20).fill(true));
    expect(await committedBeforeFirstAnswer).toStrictEqual(['BEGIN IMMEDIATE', 'COMMIT']);
    expect(rowCount(path, 'cimd_jti')).toBe(20);
  });

  it('a read with nothing queued runs at once, outside any transaction', async () => {
    const { store, transactions } = await recordedStore();
    await store.saveClient(clientRecord());
    transactions();
    expect(await store.getClient(clientRecord().clientId)).toStrictEqual(clientRecord());
    expect(transactions()).toStrictEqual([]);
  });

  it('MCP-AS-13: one failing operation in a batch fails only its caller; the others commit', async () => {
    const { path, store, transactions } = await recordedStore();
    const results = await Promise.allSettled([
      store.createRefreshFamily(familyRecord(), 'rt-0'),
      store.recordJti('client-a', 'jti-1', MINUTE),
      store.createRefreshFamily(familyRecord(), 'rt-duplicate-family'),
      store.recordJti('client-a', 'jti-2', MINUTE),
    ]);
    expect(results.map((result) => result.status)).toStrictEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    const failure = results[2] as PromiseRejectedResult;
    expect(isCimdError(failure.reason, 'ERR_STORE_CONFLICT')).toBe(true);
    // The batch rolled back, then each operation ran alone: the failing one left nothing behind.
    expect(transactions()).toStrictEqual([
      'BEGIN IMMEDIATE',
      'ROLLBACK',
      ...['COMMIT', 'COMMIT', 'ROLLBACK', 'COMMIT'].flatMap((end) => ['BEGIN IMMEDIATE', end]),
    ]);
    expect(rawQuery(path, 'select token_hash from cimd_refresh_token')).toStrictEqual([
      { token_hash: 'rt-0' },
    ]);
    expect(rowCount(path, 'cimd_jti')).toBe(2);
    expect((await store.rotateRefreshToken('rt-0', 'rt-1')).status).toBe('rotated');
  });

  it('when the commit of a batch fails, each operation runs again alone and only the failing one rejects', async () => {
    const { path, database, store, runner, db, transactions } = await recordedStore();
    // A deferred foreign key is checked at COMMIT: a child without its parent fails the commit.
    database.exec('PRAGMA foreign_keys = ON');
    await runner.write(() => execute(sql`create table parent (id integer primary key)`.compile(db)));
    await runner.write(() =>
      execute(
        sql`create table child (parent_id integer references parent (id) deferrable initially deferred)`.compile(
          db,
        ),
      ),
    );
    transactions();
    const results = await Promise.allSettled([
      store.recordJti('client-a', 'jti-1', MINUTE),
      runner.write(() => execute(sql`insert into child values (42)`.compile(db))),
      store.recordJti('client-a', 'jti-2', MINUTE),
    ]);
    expect(results.map((result) => result.status)).toStrictEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/foreign key/i);
    expect(transactions()).toStrictEqual([
      ...['BEGIN IMMEDIATE', 'COMMIT', 'ROLLBACK'],
      ...['BEGIN IMMEDIATE', 'COMMIT'],
      ...['BEGIN IMMEDIATE', 'COMMIT', 'ROLLBACK'],
      ...['BEGIN IMMEDIATE', 'COMMIT'],
    ]);
    expect(rowCount(path, 'cimd_jti')).toBe(2);
    expect(rowCount(path, 'child')).toBe(0);
  });

  it('a write not awaited is seen by the next read, which waits for its commit', async () => {
    const { path, store } = await recordedStore();
    const saved = store.saveClient(clientRecord());
    const cached = store.cacheSet('key', 'value', MINUTE);
    const created = store.createRefreshFamily(familyRecord(), 'rt-0');
    expect(await store.getClient(clientRecord().clientId)).toStrictEqual(clientRecord());
    expect(rowCount(path, 'cimd_client')).toBe(1);
    expect(await store.cacheGet('key')).toBe('value');
    expect(await store.findRefreshFamily('rt-0')).toStrictEqual(familyRecord());
    const revoked = store.revokeRefreshFamily(familyRecord().familyId);
    expect(await store.listRefreshFamilies({ userId: familyRecord().userId })).toStrictEqual([]);
    await Promise.all([saved, cached, created, revoked]);
  });

  it(`a batch holds at most ${MAX_BATCH_OPERATIONS} operations; the rest follow in the next`, async () => {
    const { store, transactions } = await recordedStore();
    const count = 2 * MAX_BATCH_OPERATIONS + 10;
    const results = await concurrently(count, (i) => store.recordJti('client-a', `jti-${i}`, MINUTE));
    expect(tally(results, String)).toStrictEqual({ true: count });
    expect(transactions().filter((statement) => statement === 'BEGIN IMMEDIATE')).toHaveLength(3);
  });

  it('when another connection keeps the lock past the busy timeout, the writes of the batch fail and its reads answer', async () => {
    const { path, store } = await recordedStore(50);
    await store.cacheSet('key', 'value', MINUTE);
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    let results: PromiseSettledResult<unknown>[];
    try {
      results = await Promise.allSettled([
        store.recordJti('client-a', 'jti-1', MINUTE),
        store.cacheGet('key'),
        store.recordJti('client-a', 'jti-2', MINUTE),
      ]);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(results.map((result) => result.status)).toStrictEqual(['rejected', 'fulfilled', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/locked|busy/i);
    expect((results[1] as PromiseFulfilledResult<unknown>).value).toBe('value');
    expect(await store.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
  });

  it('close runs the queued operations and settles every caller; later calls reject as closed', async () => {
    const { path, store } = await recordedStore();
    const writes = Array.from({ length: 10 }, (_, i) => store.recordJti('client-a', `jti-${i}`, MINUTE));
    const read = store.cacheGet('missing');
    await store.close();
    expect(await Promise.all(writes)).toStrictEqual(Array(10).fill(true));
    expect(await read).toBeUndefined();
    expect(rowCount(path, 'cimd_jti')).toBe(10);
    const late = await store.recordJti('client-a', 'jti-late', MINUTE).catch((e: unknown) => e);
    expect(isCimdError(late, 'ERR_STORE_CLOSED')).toBe(true);
  });

  it('a closed runner rejects writes and reads with ERR_STORE_CLOSED', async () => {
    const { runner, db } = await recordedStore();
    const queued = runner.write(() => execute(db.deleteFrom('cimd_jti')));
    await runner.close();
    expect(await queued).toBe(0);
    for (const call of [
      runner.write(() => execute(db.deleteFrom('cimd_jti'))),
      runner.read(() => selectFirst(db.selectFrom('cimd_jti').selectAll())),
    ]) {
      const error = await call.catch((e: unknown) => e);
      expect(isCimdError(error, 'ERR_STORE_CLOSED')).toBe(true);
      expect((error as Error).message).toMatch(/SQLite store is closed/);
    }
  });

  it('rows keep their column names after another connection changes the schema', async () => {
    const { path, runner, db } = await recordedStore();
    await runner.write(() => execute(sql`create table t (a integer, b integer)`.compile(db)));
    await runner.write(() => execute(sql`insert into t values (1, 2)`.compile(db)));
    const read = () => runner.read(() => selectFirst(sql`select t.*, 9 as z from t`.compile(db)));
    expect(await read()).toStrictEqual({ a: 1, b: 2, z: 9 });
    rawQuery(path, 'alter table t add column c integer default 3');
    expect(await read()).toStrictEqual({ a: 1, b: 2, c: 3, z: 9 });
  });
});

describe('SQLite group commit across instances sharing a file', () => {
  async function twoStores(): Promise<[Store, Store]> {
    const path = await databaseFile();
    const clock = new TestClock();
    const stores = await Promise.all([
      createSqliteStore({ path, now: clock.now, cleanupIntervalMs: 0 }),
      createSqliteStore({ path, now: clock.now, cleanupIntervalMs: 0 }),
    ]);
    for (const store of stores) cleanups.push(() => store.close());
    return stores;
  }

  it('PKJ-09: among concurrent batches of two instances, a replayed jti has exactly one winner', async () => {
    const stores = await twoStores();
    for (let round = 0; round < 10; round++) {
      const results = await concurrently(64, (i) => {
        const store = stores[i % 2] as Store;
        // Unique jtis fill the batches around the contested one.
        return i % 4 === 3
          ? store.recordJti('client-a', `unique-${round}-${i}`, MINUTE).then(() => 'other')
          : store.recordJti('client-a', `replayed-${round}`, MINUTE).then(String);
      });
      expect(tally(results, String)).toStrictEqual({ true: 1, false: 47, other: 16 });
    }
  });

  it('MCP-AS-13: among concurrent batches of two instances, a refresh token rotates exactly once', async () => {
    const stores = await twoStores();
    for (let round = 0; round < 10; round++) {
      const family = familyRecord({ familyId: `family-${round}`, grantId: `grant-${round}` });
      await stores[0].createRefreshFamily(family, `rt-${round}-0`);
      const results = await concurrently(64, (i) => {
        const store = stores[i % 2] as Store;
        return i % 4 === 3
          ? store.recordJti('client-a', `load-${round}-${i}`, MINUTE).then(() => 'other')
          : store.rotateRefreshToken(`rt-${round}-0`, `rt-${round}-${i + 1}`).then((r) => r.status);
      });
      expect(tally(results, String)).toStrictEqual({ rotated: 1, reused: 47, other: 16 });
    }
  });
});
