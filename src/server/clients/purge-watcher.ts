/**
 * Brings cache purges (`cimd admin cache purge`, `purgeSharedClientCache`) to a running
 * authorization server: every few seconds it reads the purge log in the store's durable state
 * (see `recordCachePurge`) and hands each purge it has not seen yet to `forget`, which drops the
 * instance's in-process copies. Requests never wait for it and never read the log: a poll runs on
 * a timer of its own. A failing poll is logged once at warn and retried at the next tick.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { errorLogField, type Logger } from '../logger.js';
import { CACHE_PURGE_STATE, type CachePurge, type PurgeLog, parsePurgeLog } from './purge-log.js';

/** Default time between two reads of the purge log: 5000 ms. */
export const DEFAULT_CACHE_PURGE_POLL_MS = 5_000;

/** Options of {@link watchCachePurges}. */
export interface CachePurgeWatcherOptions {
  /** The store holding the log (`getState`). */
  store: Pick<Store, 'getState'>;
  /** Time between two reads of the log, in ms. A positive integer; default 5000. */
  intervalMs?: number;
  /** Drops the in-process copies `purge` names. Called once per purge seen after the first read. */
  forget(purge: CachePurge): void;
  /**
   * Drops every in-process copy: called when purges this watcher never saw left the log before
   * it looked (it could not read the log for longer than the log keeps them), or the log was reset.
   */
  forgetAll(): void;
  /** Where a failing read is reported (once, at warn, until a read succeeds again). Default: silent. */
  logger?: Logger;
}

/** A running watcher. */
export interface CachePurgeWatcher {
  /** Reads the log now (what the timer does); never rejects. */
  poll(): Promise<void>;
  /** Stops the timer; a read in flight completes without effect. Idempotent. */
  close(): void;
}

/** What to drop after reading `log`, having seen every purge up to `seen`. */
function unseen(log: PurgeLog, seen: number): CachePurge[] | 'all' {
  if (log.seq === seen) return [];
  if (log.seq < seen) return 'all';
  const first = log.purges[0];
  if (first === undefined || first.seq > seen + 1) return 'all';
  return log.purges.filter((purge) => purge.seq > seen);
}

/**
 * Starts watching the purge log: reads it at once (every purge still in the log is applied,
 * which drops at most what was cached since the server started), then every `intervalMs` on an
 * unref'd timer, so it never keeps a process alive. {@link CachePurgeWatcher.close} stops it.
 *
 * @throws InvalidOptionError when `intervalMs` is not a positive integer.
 */
export function watchCachePurges(options: CachePurgeWatcherOptions): CachePurgeWatcher {
  const intervalMs = options.intervalMs ?? DEFAULT_CACHE_PURGE_POLL_MS;
  if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) {
    throw new InvalidOptionError(
      `the cache purge poll interval must be a positive whole number of milliseconds; got ${String(intervalMs)}`,
    );
  }
  const { store, logger } = options;
  let seen = 0;
  let closed = false;
  let failing = false;
  let running: Promise<void> | undefined;

  const read = async (): Promise<void> => {
    let log: PurgeLog;
    try {
      log = parsePurgeLog(await store.getState(CACHE_PURGE_STATE));
    } catch (error) {
      if (!failing && !closed) {
        logger?.warn(
          { err: errorLogField(error) },
          'cannot read the cache purge log from the store; purged client documents and key sets stay cached in this instance until a read succeeds (retrying)',
        );
      }
      failing = true;
      return;
    }
    if (failing) logger?.info({}, 'the cache purge log can be read from the store again');
    failing = false;
    if (closed) return;
    const purges = unseen(log, seen);
    seen = log.seq;
    try {
      if (purges === 'all') options.forgetAll();
      else for (const purge of purges) options.forget(purge);
    } catch (error) {
      logger?.error({ err: errorLogField(error) }, 'dropping purged cache entries failed');
    }
  };

  const poll = (): Promise<void> => {
    if (closed) return Promise.resolve();
    running ??= read().finally(() => {
      running = undefined;
    });
    return running;
  };

  const timer = setInterval(() => void poll(), intervalMs);
  timer.unref();
  void poll();
  return {
    poll,
    close: () => {
      closed = true;
      clearInterval(timer);
    },
  };
}
