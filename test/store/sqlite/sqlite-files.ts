/** Temporary database files for the SQLite store tests, and a raw connection to look inside them. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';

/** A fresh directory with a database path in it; `remove` deletes both. */
export async function temporaryDatabase(): Promise<{ path: string; remove: () => Promise<void> }> {
  const directory = await mkdtemp(join(tmpdir(), 'mcp-cimd-store-'));
  return {
    path: join(directory, 'store.db'),
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}

/** Runs `query` on its own connection to the file at `path` and returns the rows. */
export function rawQuery(path: string, query: string, parameters: unknown[] = []): Record<string, unknown>[] {
  const database = new Database(path);
  try {
    const statement = database.prepare(query);
    if (statement.reader) return statement.all(parameters) as Record<string, unknown>[];
    statement.run(parameters);
    return [];
  } finally {
    database.close();
  }
}

/** How many rows `table` of the database at `path` has. */
export function rowCount(path: string, table: string): number {
  const [row] = rawQuery(path, `select count(*) as n from "${table}"`);
  return Number(row?.n);
}
