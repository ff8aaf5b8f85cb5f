/**
 * The life of a server process (`cimd serve`, the demo): start, run until SIGINT or SIGTERM (or
 * a stop relayed by a parent), then close gracefully, logging `shutting down` and `stopped`. A
 * second signal while closing ends the process at once (see `waitForShutdownSignal`).
 *
 * @module
 */
import type { Logger } from '../server/logger.js';
import { waitForShutdownSignal } from './signals.js';

/** Something running that can be closed. */
export interface Running {
  close(): Promise<void>;
}

/** Options of {@link runUntilStopped}. */
export interface RunUntilStoppedOptions {
  /** Receives `shutting down`, `stopped`, and a forced stop (at `warn`). */
  logger: Logger;
  /** Progress for a person at a terminal (`stopping...`, `stopped`, `forced stop`). Default: none. */
  say?: (line: string) => void;
}

/**
 * Starts with `start`, waits for the request to stop, and closes what started. Listens for
 * signals before starting, so one received during the start stops the server once it is up.
 *
 * @throws whatever `start` throws (nothing is left listening), or an error `shutdown failed: …`
 *   when closing failed (logged at `error` first).
 */
export async function runUntilStopped(
  start: () => Promise<Running>,
  options: RunUntilStoppedOptions,
): Promise<void> {
  const { logger, say = () => {} } = options;
  const shutdown = waitForShutdownSignal((signal) => {
    logger.warn({ signal }, 'second signal: stopping now');
    say('forced stop');
  });
  try {
    const running = await start();
    const signal = await shutdown.signal;
    logger.info({ signal }, 'shutting down');
    say('\nstopping...');
    try {
      await running.close();
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      throw new Error(`shutdown failed: ${(error as Error).message}`);
    }
    logger.info({}, 'stopped');
    say('stopped');
  } finally {
    shutdown.release();
  }
}
