/**
 * A fetch budget per origin: at most `maxConcurrent` fetches at once, `requestsPerMinute` fetches
 * that could succeed and `failuresPerMinute` failed fetches of unproven URLs in any sliding
 * minute. Over budget, a fetch is refused at once (never queued), so a client_id host that is
 * slow, or a flood of distinct client_ids on one host, cannot pile up work.
 *
 * Spending the budget only on fetches that could succeed: requests for made-up or broken paths on
 * a legitimate host must not spend the budget its real clients need. A fetch is a `revalidate`
 * (the URL served an accepted document before), a `retry` (its last fetch showed a missing, moved
 * or unacceptable document) or a `discover` (neither). Every fetch takes a slot of
 * `requestsPerMinute` when it starts; a `discover` or `retry` that fails gives that slot back and
 * takes one of `failuresPerMinute` instead. A `discover` is admitted only while that failure
 * window has room, a `retry` only while it is less than half full. So:
 * - a flood of random or broken paths fills the failure window alone: revalidations of known
 *   documents, and first fetches of documents that turn out valid, keep all of
 *   `requestsPerMinute`;
 * - a URL already known bad, asked for again and again, can use only the first half of the
 *   failure window; the second half stays for URLs never tried (a new client's first sign-in);
 * - a fixed document is fetched again at the next attempt unless its host is failing that much
 *   (errors are never cached: CIMD-AS-13, CIMD-AS-14);
 * - a failed `revalidate` keeps its slot, so a host that is down is not asked more often.
 *
 * Cost and memory: one origin's state is touched per `acquire` (its windows are at most
 * `requestsPerMinute` + `failuresPerMinute` long), and the table of origins, kept in least
 * recently used order, is swept incrementally: each `acquire` looks at no more than
 * {@link SWEEP_STEP} of its oldest entries and drops the idle ones, so the work per request is
 * O(1) however many hosts are tracked. The table holds at most `maxOrigins` origins.
 *
 * The trade-off of that cap: when more than `maxOrigins` distinct origins are asked for within a
 * minute, the least recently asked-for origin is forgotten, with its windows, and its budget
 * starts afresh. An origin being asked for keeps moving to the young end of the table, so its
 * budget is forgotten only after `maxOrigins` other origins were asked for while it was not: to
 * get one more budget's worth of fetches to one host, a flood must first make the server fetch
 * from `maxOrigins` other origins (10,000 by default). The alternative, refusing new origins while
 * the table is full, would let that same flood lock every other host out.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';

/** Options of the per-origin fetch budget. */
export interface FetchBudgetOptions {
  /**
   * Fetches from one origin in any sliding 60-second window that could succeed: every fetch of a
   * URL that served an accepted document before, and every first fetch that succeeded or is still
   * in flight. A positive integer; default 60.
   */
  requestsPerMinute?: number;
  /**
   * Failed fetches of URLs with no accepted document yet, per origin, in any sliding 60-second
   * window: while that many failed, such fetches are refused, and URLs whose last fetch failed are
   * fetched again only while fewer than half that many failed. A positive integer; default 30.
   */
  failuresPerMinute?: number;
  /** Requests to one origin in flight at once. A positive integer; default 4. */
  maxConcurrent?: number;
  /**
   * Origins whose budgets are tracked at once, at least 16; past it the least recently used
   * origin's budget is forgotten (see the module documentation for the trade-off). Default 10,000.
   */
  maxOrigins?: number;
}

/** The default budget: 60 fetches and 30 failed fetches of unproven URLs per minute, 4 at once, per origin; 10,000 origins. */
export const DEFAULT_FETCH_BUDGET: Readonly<Required<FetchBudgetOptions>> = Object.freeze({
  requestsPerMinute: 60,
  failuresPerMinute: 30,
  maxConcurrent: 4,
  maxOrigins: 10_000,
});

const WINDOW_MS = 60_000;
/** The oldest table entries looked at by each acquire. Above 1, so the sweep outpaces insertions. */
export const SWEEP_STEP = 2;
const MIN_ORIGINS = 16;

/**
 * Why a fetch is made: `revalidate` when the URL served an accepted document before (a cached or
 * stale copy exists), `retry` when its last fetch showed a missing, moved or unacceptable
 * document, `discover` otherwise.
 */
export type FetchPurpose = 'revalidate' | 'retry' | 'discover';

/** How a fetch ended: `failure` for any failed fetch (unreachable, refused, invalid document). */
export type FetchOutcome = 'success' | 'failure';

/** The outcome of {@link FetchBudget.acquire}. */
export type BudgetGrant =
  /** Go ahead; call `release` with the outcome when the fetch settles (once; later calls are ignored). */
  | { ok: true; release: (outcome?: FetchOutcome) => void }
  /** Over budget: `limit` says which one, `retryAfterMs` when to try again. */
  | { ok: false; limit: 'rate' | 'failures' | 'concurrency'; retryAfterMs: number };

interface OriginState {
  /** Start times of the fetches counted against `requestsPerMinute`, oldest first. */
  starts: number[];
  /** End times of the failed fetches of unproven URLs, oldest first. */
  failures: number[];
  /** Fetches in flight. */
  active: number;
  /** Fetches of unproven URLs in flight (counted against the failure window until they settle). */
  unproven: number;
}

/** Sees the budget's bookkeeping, for tests and metrics: `visited` table entries in one acquire. */
export interface FetchBudgetProbe {
  visited?(entries: number): void;
}

/** A per-origin fetch budget; see {@link createFetchBudget}. */
export interface FetchBudget {
  /** Takes one fetch from `origin`'s budget, or says why not. `purpose` defaults to `discover`. */
  acquire(origin: string, purpose?: FetchPurpose): BudgetGrant;
  /** Origins tracked now (at most `maxOrigins`). */
  readonly size: number;
}

function positiveInteger(value: unknown, name: string, fallback: number, minimum = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    const what = minimum === 1 ? 'a positive whole number' : `a whole number, at least ${minimum}`;
    throw new InvalidOptionError(`fetchBudget.${name} must be ${what}; got ${String(value)}`);
  }
  return value;
}

/** Checks budget options and applies defaults; throws {@link InvalidOptionError}. */
export function resolveFetchBudgetOptions(options: FetchBudgetOptions = {}): Required<FetchBudgetOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(
      'fetchBudget must be an object { requestsPerMinute?, failuresPerMinute?, maxConcurrent?, maxOrigins? }',
    );
  }
  const option = (name: keyof FetchBudgetOptions, minimum?: number) =>
    positiveInteger(options[name], name, DEFAULT_FETCH_BUDGET[name], minimum);
  return {
    requestsPerMinute: option('requestsPerMinute'),
    failuresPerMinute: option('failuresPerMinute'),
    maxConcurrent: option('maxConcurrent'),
    maxOrigins: option('maxOrigins', MIN_ORIGINS),
  };
}

/** Drops the times at the front of `times` that are out of the window ending at `at`. */
function prune(times: number[], at: number): void {
  let expired = 0;
  while (expired < times.length && (times[expired] ?? 0) <= at - WINDOW_MS) expired += 1;
  if (expired > 0) times.splice(0, expired);
}

function idle(state: OriginState, at: number): boolean {
  prune(state.starts, at);
  prune(state.failures, at);
  return state.active === 0 && state.starts.length === 0 && state.failures.length === 0;
}

function retryAfter(oldest: number | undefined, at: number): number {
  return oldest === undefined ? 1000 : Math.max(1, oldest + WINDOW_MS - at);
}

/** Creates a per-origin fetch budget on the clock `now` (epoch ms). */
export function createFetchBudget(
  options: FetchBudgetOptions,
  now: () => number,
  probe: FetchBudgetProbe = {},
): FetchBudget {
  const { requestsPerMinute, failuresPerMinute, maxConcurrent, maxOrigins } =
    resolveFetchBudgetOptions(options);
  /** The part of the failure window URLs already known bad may use. */
  const retryRoom = Math.ceil(failuresPerMinute / 2);
  /** Least recently used first: `acquire` moves its origin to the end. */
  const origins = new Map<string, OriginState>();

  /** Looks at up to SWEEP_STEP of the oldest entries; drops idle ones, stops at the first live one. */
  const sweep = (at: number): number => {
    let visited = 0;
    for (const [origin, state] of origins) {
      if (visited === SWEEP_STEP) break;
      visited += 1;
      if (!idle(state, at)) break;
      origins.delete(origin);
    }
    return visited;
  };

  /** The state of `origin`, moved to the young end of the table (created when new). */
  const touch = (origin: string): OriginState => {
    const state = origins.get(origin) ?? { starts: [], failures: [], active: 0, unproven: 0 };
    origins.delete(origin);
    origins.set(origin, state);
    if (origins.size > maxOrigins) {
      const [oldest] = origins.keys();
      if (oldest !== undefined) origins.delete(oldest);
    }
    return state;
  };

  const admit = (state: OriginState, purpose: FetchPurpose, at: number): BudgetGrant => {
    const unproven = purpose !== 'revalidate';
    state.starts.push(at);
    state.active += 1;
    if (unproven) state.unproven += 1;
    let released = false;
    return {
      ok: true,
      release: (outcome = 'success') => {
        if (released) return;
        released = true;
        state.active -= 1;
        if (!unproven) return;
        state.unproven -= 1;
        if (outcome === 'success') return;
        // A failed fetch of an unproven URL gives its slot back to the fetches that could succeed.
        const slot = state.starts.lastIndexOf(at);
        if (slot >= 0) state.starts.splice(slot, 1);
        state.failures.push(Math.max(now(), state.failures.at(-1) ?? 0));
      },
    };
  };

  return {
    get size() {
      return origins.size;
    },
    acquire(origin, purpose = 'discover') {
      const at = now();
      const visited = sweep(at);
      probe.visited?.(visited);
      const state = touch(origin);
      prune(state.starts, at);
      prune(state.failures, at);
      if (state.active >= maxConcurrent) {
        return { ok: false, limit: 'concurrency', retryAfterMs: 1000 };
      }
      if (state.starts.length >= requestsPerMinute) {
        return { ok: false, limit: 'rate', retryAfterMs: retryAfter(state.starts[0], at) };
      }
      if (purpose !== 'revalidate') {
        const room = purpose === 'retry' ? retryRoom : failuresPerMinute;
        if (state.failures.length + state.unproven >= room) {
          return { ok: false, limit: 'failures', retryAfterMs: retryAfter(state.failures[0], at) };
        }
      }
      return admit(state, purpose, at);
    },
  };
}
