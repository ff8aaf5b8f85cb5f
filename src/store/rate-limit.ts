/**
 * The counter behind the authorization server's rate limits. Each instance keeps its own counts
 * in memory by default; a shared backend (Redis) makes every instance count together.
 *
 * @module
 */

/** The state of one key's current window after a hit. */
export interface RateLimitWindow {
  /** Hits counted in the current window, this one included (1 for the first hit). */
  count: number;
  /** Epoch ms when the current window ends and the count starts again from zero. */
  resetAt: number;
}

/**
 * Counts hits per key in fixed windows. `hit` is atomic: of N concurrent hits on one key in one
 * window, the counts returned are exactly 1..N.
 */
export interface RateLimitCounter {
  /** Counts one hit for `key` in its current window of `windowMs` milliseconds. */
  hit(key: string, windowMs: number): Promise<RateLimitWindow>;
  /** Releases connections and timers. */
  close(): Promise<void>;
}
