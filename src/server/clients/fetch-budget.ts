/**
 * A fetch budget per origin: at most `requestsPerMinute` requests in any sliding minute and
 * `maxConcurrent` at once. Over budget, a fetch is refused at once (never queued), so a client_id
 * host that is slow, or a flood of distinct client_ids on one host, cannot pile up work.
 *
 * Cost and memory: one origin's state is touched per `acquire` (its window is at most
 * `requestsPerMinute` long), and the table of origins, kept in least
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
  /** Requests one origin may receive in any sliding 60-second window. A positive integer; default 60. */
  requestsPerMinute?: number;
  /** Requests to one origin in flight at once. A positive integer; default 4. */
  maxConcurrent?: number;
  /**
   * Origins whose budgets are tracked at once, at least 16; past it the least recently used
   * origin's budget is forgotten (see the module documentation for the trade-off). Default 10,000.
   */
  maxOrigins?: number;
}

/** The default budget: 60 requests per minute and 4 at once, per origin; 10,000 origins tracked. */
export const DEFAULT_FETCH_BUDGET: Readonly<Required<FetchBudgetOptions>> = Object.freeze({
  requestsPerMinute: 60,
  maxConcurrent: 4,
  maxOrigins: 10_000,
});

const WINDOW_MS = 60_000;
/** The oldest table entries looked at by each acquire. Above 1, so the sweep outpaces insertions. */
export const SWEEP_STEP = 2;
const MIN_ORIGINS = 16;

/** The outcome of {@link FetchBudget.acquire}. */
export type BudgetGrant =
  /** Go ahead; call `release` when the fetch settles (once; later calls are ignored). */
  | { ok: true; release: () => void }
  /** Over budget: `limit` says which one, `retryAfterMs` when to try again. */
  | { ok: false; limit: 'rate' | 'concurrency'; retryAfterMs: number };

interface OriginState {
  /** Start times of the requests within the window, oldest first. */
  starts: number[];
  /** Fetches in flight. */
  active: number;
}

/** Sees the budget's bookkeeping, for tests and metrics: `visited` table entries in one acquire. */
export interface FetchBudgetProbe {
  visited?(entries: number): void;
}

/** A per-origin fetch budget; see {@link createFetchBudget}. */
export interface FetchBudget {
  /** Takes one request from `origin`'s budget, or says why not. */
  acquire(origin: string): BudgetGrant;
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
      'fetchBudget must be an object { requestsPerMinute?, maxConcurrent?, maxOrigins? }',
    );
  }
  const option = (name: keyof FetchBudgetOptions, minimum?: number) =>
    positiveInteger(options[name], name, DEFAULT_FETCH_BUDGET[name], minimum);
  return {
    requestsPerMinute: option('requestsPerMinute'),
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
  return state.active === 0 && state.starts.length === 0;
}

/** Creates a per-origin fetch budget on the clock `now` (epoch ms). */
export function createFetchBudget(
  options: FetchBudgetOptions,
  now: () => number,
  probe: FetchBudgetProbe = {},
): FetchBudget {
  const { requestsPerMinute, maxConcurrent, maxOrigins } = resolveFetchBudgetOptions(options);
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
    const state = origins.get(origin) ?? { starts: [], active: 0 };
    origins.delete(origin);
    origins.set(origin, state);
    if (origins.size > maxOrigins) {
      const [oldest] = origins.keys();
      if (oldest !== undefined) origins.delete(oldest);
    }
    return state;
  };

  const admit = (state: OriginState, at: number): BudgetGrant => {
    state.starts.push(at);
    state.active += 1;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        state.active -= 1;
      },
    };
  };

  return {
    get size() {
      return origins.size;
    },
    acquire(origin) {
      const at = now();
      const visited = sweep(at);
      probe.visited?.(visited);
      const state = touch(origin);
      prune(state.starts, at);
      if (state.active >= maxConcurrent) {
        return { ok: false, limit: 'concurrency', retryAfterMs: 1000 };
      }
      if (state.starts.length >= requestsPerMinute) {
        const oldest = state.starts[0] ?? at;
        return { ok: false, limit: 'rate', retryAfterMs: Math.max(1, oldest + WINDOW_MS - at) };
      }
      return admit(state, at);
    },
  };
}
