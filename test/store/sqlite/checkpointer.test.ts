/**
 * Background WAL checkpoints: a worker thread copies the log into the database file while the
 * store's connection only keeps a far-off threshold; stopping (or a failed worker) gives the
 * connection SQLite's default threshold back. Real files, the real libsql driver.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import Database from 'libsql';
import { afterEach, describe, expect, it } from 'vitest';
import { FALLBACK_AUTOCHECKPOINT_PAGES, startCheckpointer } from '../../../src/store/sqlite/checkpointer.js';
import { openSqliteDatabase, type SqliteDatabaseConstructor } from '../../../src/store/sqlite/driver.js';
import { createSqliteStore } from '../../../src/store/sqlite/index.js';
import { clientRecord } from '../fixtures.js';
import { temporaryDatabase } from './sqlite-files.js';

const driverPath = createRequire(import.meta.url).resolve('libsql');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openFile() {
  const file = await temporaryDatabase();
  const database = openSqliteDatabase(Database as unknown as SqliteDatabaseConstructor, file.path, 5000);
  cleanups.push(async () => {
    database.close();
    await file.remove();
  });
  database.exec('CREATE TABLE t (v TEXT)');
  return { database, path: file.path };
}

function threshold(database: { prepare(sql: string): { all(p: unknown[]): unknown[] } }): number {
  const [row] = database.prepare('PRAGMA wal_autocheckpoint').all([]) as Record<string, number>[];
  return Number(Object.values(row ?? {})[0]);
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('background WAL checkpoints', () => {
  it('copy committed pages into the database file without a commit doing it', async () => {
    const { database, path } = await openFile();
    const checkpointer = startCheckpointer(database, path, driverPath);
    expect(checkpointer).toBeDefined();
    cleanups.push(async () => checkpointer?.stop());
    expect(threshold(database)).toBe(FALLBACK_AUTOCHECKPOINT_PAGES);
    const before = statSync(path).size;
    database.exec('BEGIN');
    const insert = database.prepare('INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < 2000; i++) insert.run([`${i}`.padEnd(500, 'x')]);
    database.exec('COMMIT');
    // About 1 MB went to the log; the worker moves it into the file (the threshold alone would not).
    await until(() => statSync(path).size > before + 500_000, 'the checkpoint worker');
  });

  it('stop gives the connection SQLite default threshold back', async () => {
    const { database, path } = await openFile();
    const checkpointer = startCheckpointer(database, path, driverPath);
    await checkpointer?.stop();
    expect(threshold(database)).toBe(1000);
  });

  it('a worker that cannot start its driver leaves the connection with the default threshold', async () => {
    const { database, path } = await openFile();
    const checkpointer = startCheckpointer(database, path, `${driverPath}.missing.js`);
    cleanups.push(async () => checkpointer?.stop());
    await until(() => threshold(database) === 1000, 'the failed worker to restore the threshold');
  });

  it('a store on a file checkpoints in the background and closes cleanly; off on request', async () => {
    for (const backgroundCheckpoints of [true, false]) {
      const file = await temporaryDatabase();
      cleanups.push(file.remove);
      const store = await createSqliteStore({ path: file.path, backgroundCheckpoints });
      await store.saveClient(clientRecord({ clientId: 'client-1' }));
      expect((await store.getClient('client-1'))?.clientId).toBe('client-1');
      await store.close();
    }
  });

  it('refuses a backgroundCheckpoints that is not a boolean', async () => {
    await expect(
      createSqliteStore({ path: ':memory:', backgroundCheckpoints: 'yes' as unknown as boolean }),
    ).rejects.toThrow('backgroundCheckpoints must be true or false');
  });
});
