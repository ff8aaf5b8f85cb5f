/**
 * WAL checkpoints on a worker thread. SQLite copies the write-ahead log back into the database
 * file (a checkpoint, with an `fsync`) from inside whichever `COMMIT` takes the log past
 * `wal_autocheckpoint` pages: on the event loop's thread, every few hundred grants, which stalls
 * every request for the length of a disk flush. Here a worker thread with its own connection
 * runs a `PASSIVE` checkpoint every {@link CHECKPOINT_INTERVAL_MS} (it never blocks writers or
 * readers), and the store's connection keeps only a far-off automatic threshold
 * ({@link FALLBACK_AUTOCHECKPOINT_PAGES}) in case the worker falls behind. If the worker fails,
 * the connection goes back to SQLite's default threshold: durability is the same either way
 * (`synchronous = NORMAL`: committed writes survive a crash of the process, and are flushed to
 * disk at checkpoints).
 *
 * @module
 */
import { Worker } from 'node:worker_threads';
import type { SqliteDatabase } from './driver.js';

/** How often the worker checkpoints, in milliseconds. */
export const CHECKPOINT_INTERVAL_MS = 200;

/** The connection's own threshold while the worker runs, in pages (about 40 MB of 4 KiB pages). */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

/** SQLite's default threshold, in pages, restored when the worker stops or fails. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

/** The worker: opens the file with the driver at `driverPath`, checkpoints until told to stop. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const database = new Database(workerData.path);
database.exec('PRAGMA busy_timeout = 0');
const checkpoint = database.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const timer = setInterval(() => {
  try {
    checkpoint.all([]);
  } catch {
    // Busy (another connection is checkpointing): the next round catches up.
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  database.close();
  parentPort.close();
});
`;

/** A running background checkpointer. */
export interface Checkpointer {
  /** Stops the worker (and restores the connection's own threshold); resolves when it exited. */
  stop(): Promise<void>;
}

/**
 * Starts checkpointing the database file at `path` on a worker thread, loading the CommonJS
 * driver module at `driverPath` there; `database` is the store's connection to the same file.
 * Returns undefined (and changes nothing) when no worker can be started.
 */
export function startCheckpointer(
  database: SqliteDatabase,
  path: string,
  driverPath: string,
): Checkpointer | undefined {
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driverPath, path, intervalMs: CHECKPOINT_INTERVAL_MS },
    });
  } catch {
    return undefined;
  }
  worker.unref();
  let running = true;
  const restore = () => {
    if (!running) return;
    running = false;
    try {
      database.exec(`PRAGMA wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
    } catch {
      // The connection is closed already: nothing to restore.
    }
  };
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.once('error', restore);
  worker.once('exit', restore);
  database.exec(`PRAGMA wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  return {
    async stop() {
      restore();
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), 2_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
