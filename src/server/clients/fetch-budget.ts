/**
 * A fetch budget per origin: at most `requestsPerMinute` requests in any sliding minute and
 * `maxConcurrent` at once. Over budget, a fetch is refused at once (never queued), so a client_id
 * host that is slow, or a flood of distinct client_ids on one host, cannot pile up work.
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
}

/** The default budget: 60 requests per minute and 4 at once, per origin. */
export const DEFAULT_FETCH_BUDGET: Readonly<Required<FetchBudgetOptions>> = Object.freeze({
  requestsPerMinute: 60,
  maxConcurrent: 4,
});

const WINDOW_MS = 60_000;
/** Origins tracked before idle ones are swept. */
const SWEEP_THRESHOLD = 1024;

/** The outcome of {@link FetchBudget.acquire}. */
export type BudgetGrant =
  /** Go ahead; call `release` when the fetch settles (once). */
  | { ok: true; release: () => void }
  /** Over budget: `reason` says which limit, `retryAfterMs` when to try again. */
  | { ok: false; limit: 'rate' | 'concurrency'; retryAfterMs: number };

interface OriginState {
  /** Start times of the requests within the window, oldest first. */
  starts: number[];
  active: number;
}

/** A per-origin fetch budget; see {@link createFetchBudget}. */
export interface FetchBudget {
  /** Takes one request from `origin`'s budget, or says why not. */
  acquire(origin: string): BudgetGrant;
}

function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidOptionError(`fetchBudget.${name} must be a positive whole number; got ${String(value)}`);
  }
  return value;
}

/** Checks budget options and applies defaults; throws {@link InvalidOptionError}. */
export function resolveFetchBudgetOptions(options: FetchBudgetOptions = {}): Required<FetchBudgetOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('fetchBudget must be an object { requestsPerMinute?, maxConcurrent? }');
  }
  return {
    requestsPerMinute: positiveInteger(
      options.requestsPerMinute,
      'requestsPerMinute',
      DEFAULT_FETCH_BUDGET.requestsPerMinute,
    ),
    maxConcurrent: positiveInteger(
      options.maxConcurrent,
      'maxConcurrent',
      DEFAULT_FETCH_BUDGET.maxConcurrent,
    ),
  };
}

/** Creates a per-origin fetch budget on the clock `now` (epoch ms). */
export function createFetchBudget(options: FetchBudgetOptions, now: () => number): FetchBudget {
  const { requestsPerMinute, maxConcurrent } = resolveFetchBudgetOptions(options);
  const origins = new Map<string, OriginState>();

  const prune = (state: OriginState, at: number): void => {
    let expired = 0;
    while (expired < state.starts.length && (state.starts[expired] ?? 0) <= at - WINDOW_MS) expired += 1;
    if (expired > 0) state.starts.splice(0, expired);
  };

  const sweep = (at: number): void => {
    for (const [origin, state] of origins) {
      prune(state, at);
      if (state.active === 0 && state.starts.length === 0) origins.delete(origin);
    }
  };

  return {
    acquire(origin) {
      const at = now();
      if (origins.size >= SWEEP_THRESHOLD) sweep(at);
      let state = origins.get(origin);
      if (state === undefined) {
        state = { starts: [], active: 0 };
        origins.set(origin, state);
      }
      prune(state, at);
      if (state.active >= maxConcurrent) {
        return { ok: false, limit: 'concurrency', retryAfterMs: 1000 };
      }
      if (state.starts.length >= requestsPerMinute) {
        const oldest = state.starts[0] ?? at;
        return { ok: false, limit: 'rate', retryAfterMs: Math.max(1, oldest + WINDOW_MS - at) };
      }
      state.starts.push(at);
      state.active += 1;
      const held = state;
      let released = false;
      return {
        ok: true,
        release: () => {
          if (released) return;
          released = true;
          held.active -= 1;
        },
      };
    },
  };
}
