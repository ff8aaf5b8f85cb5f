/**
 * The SQLite sweep of refresh tokens: with no index by expiry or family (schema versions 4 and 5),
 * each sweep looks at the next batch of tokens in key order and deletes the expired ones; the walk
 * goes round the table over successive sweeps. Expired tokens count as absent before then.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLifecycle } from '../../../src/store/lifecycle.js';
import {
  deleteExpiredTokens,
  sweepExpired,
  TOKEN_SWEEP_BATCH,
  type TokenSweepBatch,
} from '../../../src/store/sql/cleanup.js';
import { migrate } from '../../../src/store/sql/schema.js';
import { createSqlStore } from '../../../src/store/sql/sql-store.js';
import { loadSqliteDriver } from '../../../src/store/sqlite/driver.js';
import { createSqliteStore } from '../../../src/store/sqlite/index.js';
import { createSqliteQueryBuilder } from '../../../src/store/sqlite/query-builder.js';
import { createSqliteRunner } from '../../../src/store/sqlite/runner.js';
import { TestClock } from '../clock.js';
import { familyRecord, MINUTE } from '../fixtures.js';
import { rawQuery, rowCount, temporaryDatabase } from './sqlite-files.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.useRealTimers();
});

/** A migrated SQLite file, a store on it (no sweep timer) and a way to run one sweep. */
async function sweptStore() {
  const file = await temporaryDatabase();
  const clock = new TestClock();
  const Database = await loadSqliteDriver();
  const runner = createSqliteRunner(new Database(file.path));
  const db = createSqliteQueryBuilder();
  await runner.write(() => migrate(db, clock.now()));
  const lifecycle = createLifecycle('sweep test store', 'reopen it');
  const store = createSqlStore({ runner, db, now: clock.now, cleanupIntervalMs: 0, lifecycle });
  cleanups.push(file.remove, () => store.close());
  const sweep = (tokensAfter: string, batch: number): Promise<TokenSweepBatch> =>
    runner.write(() => deleteExpiredTokens(db, clock.now(), tokensAfter, batch));
  const tokens = () =>
    rawQuery(file.path, 'select token_hash, family_id from cimd_refresh_token order by token_hash');
  return { store, clock, sweep, tokens, runner, db, path: file.path };
}

/** Writes `count` tokens of a gone family, expired, keyed `old-000001` and up, as a raw insert. */
function expiredTokens(path: string, count: number, expiresAt: number): void {
  rawQuery(
    path,
    `with recursive n(i) as (select 1 union all select i + 1 from n where i < ${count})
     insert into cimd_refresh_token (token_hash, family_id, used_at, expires_at)
     select printf('old-%06d', i), 'gone', null, ? from n`,
    [expiresAt],
  );
}

describe('SQLite refresh token sweep', () => {
  it('walks the tokens a batch at a time in key order, deletes the expired ones, and starts over after the last', async () => {
    const { store, clock, sweep, tokens } = await sweptStore();
    // Keys in the order they are written: the expired family's and the live one's interleaved.
    await store.createRefreshFamily(familyRecord({ familyId: 'old', expiresAt: clock.now() + MINUTE }), 'k1');
    await store.createRefreshFamily(
      familyRecord({ familyId: 'live', grantId: 'g-live', expiresAt: clock.now() + 60 * MINUTE }),
      'k2',
    );
    await store.rotateRefreshToken('k1', 'k3');
    await store.rotateRefreshToken('k2', 'k4');
    await store.rotateRefreshToken('k3', 'k5');
    clock.advance(2 * MINUTE);
    // Expired tokens are absent before any sweep.
    expect(await store.findRefreshFamily('k5')).toBeUndefined();
    expect((await store.rotateRefreshToken('k5', 'k6')).status).toBe('invalid');

    const keys = () => tokens().map((row) => row.token_hash);
    expect((await sweep('', 2)).tokensAfter).toBe('k2');
    expect(keys()).toStrictEqual(['k2', 'k3', 'k4', 'k5']); // k1 went
    expect((await sweep('k2', 2)).tokensAfter).toBe('k4');
    expect(keys()).toStrictEqual(['k2', 'k4', 'k5']); // k3 went
    expect((await sweep('k4', 2)).tokensAfter).toBe('k5');
    expect(keys()).toStrictEqual(['k2', 'k4']); // k5 went
    // Past the last token: the next sweep starts from the first again.
    expect(await sweep('k5', 2)).toStrictEqual({ deleted: 0, tokensAfter: '' });
    expect(tokens()).toStrictEqual([
      { token_hash: 'k2', family_id: 'live' },
      { token_hash: 'k4', family_id: 'live' },
    ]);
    expect((await store.rotateRefreshToken('k4', 'k7')).status).toBe('rotated');
  });

  it('a family created again under the id of an expired one does not bring back its tokens', async () => {
    const { store, clock, sweep, tokens } = await sweptStore();
    await store.createRefreshFamily(
      familyRecord({ familyId: 'same', expiresAt: clock.now() + MINUTE }),
      'a1',
    );
    await store.rotateRefreshToken('a1', 'a2');
    clock.advance(2 * MINUTE);
    await store.createRefreshFamily(
      familyRecord({ familyId: 'same', expiresAt: clock.now() + 60 * MINUTE }),
      'b1',
    );
    expect(await store.findRefreshFamily('a2')).toBeUndefined();
    expect((await store.rotateRefreshToken('a1', 'x')).status).toBe('invalid');
    expect((await store.rotateRefreshToken('a2', 'x')).status).toBe('invalid');
    expect((await store.rotateRefreshToken('b1', 'b2')).status).toBe('rotated');
    // The old tokens go at the sweep; the new family's stay.
    await sweep('', 100);
    expect(tokens().map((row) => row.token_hash)).toStrictEqual(['b1', 'b2']);
    expect((await store.rotateRefreshToken('b2', 'b3')).status).toBe('rotated');
  });

  it('a timed sweep goes on batch after batch to the end of the table, each batch its own transaction', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const file = await temporaryDatabase();
    cleanups.push(file.remove);
    const clock = new TestClock();
    const store = await createSqliteStore({ path: file.path, now: clock.now, cleanupIntervalMs: MINUTE });
    cleanups.push(() => store.close());
    await store.createRefreshFamily(
      familyRecord({ familyId: 'live', expiresAt: clock.now() + 60 * MINUTE }),
      'live-0',
    );
    // More expired tokens than one batch holds, written as an old release would have left them.
    const expired = 2 * TOKEN_SWEEP_BATCH + 500;
    expiredTokens(file.path, expired, clock.now() - 1);
    expect(rowCount(file.path, 'cimd_refresh_token')).toBe(expired + 1);
    vi.advanceTimersByTime(MINUTE);
    // The sweep's writes are queued: a write queued now settles after its last batch is done.
    for (let i = 0; i < 10 && rowCount(file.path, 'cimd_refresh_token') > 1; i++) {
      await store.putState('settle', String(i));
    }
    expect(rawQuery(file.path, 'select token_hash from cimd_refresh_token')).toStrictEqual([
      { token_hash: 'live-0' },
    ]);
    expect((await store.rotateRefreshToken('live-0', 'live-1')).status).toBe('rotated');
  });

  it('a sweep that fails halfway keeps the batches it finished, and the next goes on from there', async () => {
    const { clock, runner, db, path } = await sweptStore();
    expiredTokens(path, 2 * TOKEN_SWEEP_BATCH + 10, clock.now() - 1);
    let writes = 0;
    // The third write (the second batch of the walk) fails, as a busy database would.
    const failing = {
      write: <T>(start: Parameters<typeof runner.write<T>>[0]): Promise<T> =>
        ++writes === 3 ? Promise.reject(new Error('database is locked')) : runner.write(start),
    };
    const walk = { tokensAfter: '' };
    await expect(sweepExpired(failing, db, clock.now, walk)).rejects.toThrow('database is locked');
    expect(walk.tokensAfter).toBe(`old-${String(TOKEN_SWEEP_BATCH).padStart(6, '0')}`);
    expect(rowCount(path, 'cimd_refresh_token')).toBe(TOKEN_SWEEP_BATCH + 10);
    await sweepExpired(runner, db, clock.now, walk);
    expect(walk.tokensAfter).toBe('');
    expect(rowCount(path, 'cimd_refresh_token')).toBe(0);
  });

  it('a timed sweep still running when the next interval comes is not started again', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { clock, runner, db } = await sweptStore();
    let running = 0;
    let mostAtOnce = 0;
    let started = 0;
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Every write of a sweep counts; the first sweep's first write waits until released.
    const watched = {
      ...runner,
      async write<T>(start: Parameters<typeof runner.write<T>>[0]): Promise<T> {
        started++;
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        try {
          if (started === 1) await held;
          return await runner.write(start);
        } finally {
          running--;
        }
      },
    };
    const lifecycle = createLifecycle('timed sweep test store', 'reopen it');
    const store = createSqlStore({
      runner: watched,
      db,
      now: clock.now,
      cleanupIntervalMs: MINUTE,
      lifecycle,
    });
    cleanups.push(() => store.close());
    vi.advanceTimersByTime(MINUTE);
    expect(started).toBe(1);
    // Five more intervals while the first sweep is held: none starts another.
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(MINUTE);
      await Promise.resolve();
    }
    expect(started).toBe(1);
    release();
    // Once the first sweep is over, an interval starts the next (its first write is made at once).
    let restarted = false;
    for (let i = 0; i < 10 && !restarted; i++) {
      await store.getState('settle');
      const before = started;
      vi.advanceTimersByTime(MINUTE);
      restarted = started > before;
    }
    expect(restarted).toBe(true);
    expect(mostAtOnce).toBe(1);
  });
});
