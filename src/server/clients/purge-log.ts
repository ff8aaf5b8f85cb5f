/**
 * The log of recent cache purges, kept in the store's durable state (`getState`/`putState`) so
 * that every running authorization server sharing the store can drop its in-process copies of
 * what an operator purged (see `watchCachePurges`). One state value holds the whole log: a
 * sequence number and the purges still kept, each with its own number, appended with a
 * compare-and-set so that concurrent purges never lose one another.
 *
 * The log is bounded: purges older than {@link PURGE_LOG_LIMITS}`.maxAgeMs` are dropped, and at
 * most {@link PURGE_LOG_LIMITS}`.maxEntries` are kept. A reader that finds purges it never saw
 * dropped from the log (it looked too long ago) forgets all its in-process copies instead.
 *
 * @module
 */
import { CimdError } from '../../errors.js';
import type { Store } from '../../store/store.js';

/** The name of the durable state value holding the log. */
export const CACHE_PURGE_STATE = 'cache-purges';

/** The bounds of the log: purges younger than a day (86 400 000 ms), at most 1000 of them. */
export const PURGE_LOG_LIMITS = Object.freeze({ maxEntries: 1000, maxAgeMs: 86_400_000 });

/** How many times an append retries a lost compare-and-set before giving up. */
const MAX_APPEND_ATTEMPTS = 50;

/** One purge in the log. */
export interface CachePurge {
  /** Its number in the log: one more than the purge before it. */
  seq: number;
  /** The purged URL: a `client_id` (document URL) or a `jwks_uri`. */
  url: string;
  /** Epoch ms of the purge (the purging process's clock). */
  at: number;
  /** Key set URLs the purge dropped from the shared cache besides `url` (the document's `jwks_uri`). */
  jwks: string[];
}

/** The log as stored. */
export interface PurgeLog {
  /** The number of the newest purge ever appended (0 for none), even once it was dropped. */
  seq: number;
  /** The purges kept, oldest first. */
  purges: CachePurge[];
}

/** Bounds of the log; see {@link PURGE_LOG_LIMITS} for the defaults. */
export interface PurgeLogLimits {
  /** Most purges kept, the newest. A positive integer; default 1000. */
  maxEntries: number;
  /** Purges older than this, in ms, are dropped. Default 86 400 000 (a day). */
  maxAgeMs: number;
}

const EMPTY_LOG: PurgeLog = Object.freeze({ seq: 0, purges: [] }) as PurgeLog;

function isPurge(value: unknown): value is CachePurge {
  if (typeof value !== 'object' || value === null) return false;
  const purge = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(purge.seq) &&
    typeof purge.url === 'string' &&
    Number.isFinite(purge.at) &&
    Array.isArray(purge.jwks) &&
    purge.jwks.every((url) => typeof url === 'string')
  );
}

/**
 * Parses a stored log. An absent or unreadable value is an empty log (sequence 0): a reader then
 * sees its sequence go back, and forgets everything it holds.
 */
export function parsePurgeLog(value: string | undefined): PurgeLog {
  if (value === undefined) return EMPTY_LOG;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return EMPTY_LOG;
  }
  if (typeof parsed !== 'object' || parsed === null) return EMPTY_LOG;
  const log = parsed as Record<string, unknown>;
  if (log.v !== 1 || !Number.isSafeInteger(log.seq) || !Array.isArray(log.purges)) return EMPTY_LOG;
  if (!log.purges.every(isPurge)) return EMPTY_LOG;
  return { seq: log.seq as number, purges: log.purges as CachePurge[] };
}

/** The log with `purge` appended as the next number, then bounded. */
function appended(log: PurgeLog, purge: Omit<CachePurge, 'seq'>, limits: PurgeLogLimits): PurgeLog {
  const seq = log.seq + 1;
  const oldest = purge.at - limits.maxAgeMs;
  const purges = [...log.purges.filter((kept) => kept.at >= oldest), { seq, ...purge }];
  return { seq, purges: purges.slice(-limits.maxEntries) };
}

/**
 * Appends a purge of `url` to the log in `store` (compare-and-set, retried when another purge
 * got in first) and resolves the purge as recorded.
 *
 * @param jwks Key set URLs dropped with it (the document's `jwks_uri`), besides `url` itself.
 * @param now Epoch ms of the purge.
 * @param limits Bounds of the log. Default {@link PURGE_LOG_LIMITS}.
 * @throws CimdError `ERR_STORE_CONFLICT` when 50 attempts in a row lost to other purges.
 */
export async function recordCachePurge(
  store: Pick<Store, 'getState' | 'putState'>,
  url: string,
  jwks: readonly string[],
  now: number,
  limits: PurgeLogLimits = PURGE_LOG_LIMITS,
): Promise<CachePurge> {
  for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt += 1) {
    const current = await store.getState(CACHE_PURGE_STATE);
    const next = appended(parsePurgeLog(current), { url, at: now, jwks: [...jwks] }, limits);
    const value = JSON.stringify({ v: 1, ...next });
    if (await store.putState(CACHE_PURGE_STATE, value, current ?? null)) {
      return next.purges[next.purges.length - 1] as CachePurge;
    }
  }
  throw new CimdError(
    'ERR_STORE_CONFLICT',
    `the purge of ${url} could not be recorded for the running instances: other purges kept changing the log; purge it again`,
  );
}
