/**
 * Options of the authorization server's rate limits (`AuthorizationServerOptions.rateLimit`):
 * the counter, and how many requests a client IP and a `client_id` may make per minute on
 * `/authorize`, `/token` and `/register` together.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import { createMemoryRateLimitCounter } from '../../store/memory/rate-limit.js';
import type { RateLimitCounter } from '../../store/rate-limit.js';

/**
 * The default requests per minute per client IP: 600 (10 a second). A person signing in makes
 * two (`/authorize`, `/token`) and each of their MCP clients refreshes about once per access
 * token lifetime (10 minutes), so even a company's NAT with thousands of users stays below it,
 * while one address flooding the endpoints (or the CIMD fetches behind them) is cut off.
 */
export const DEFAULT_RATE_LIMIT_PER_IP = 600;

/**
 * The default requests per minute per `client_id`: 6000 (ten times the per-IP limit). A
 * `client_id` is shared by every user of a client application (one CIMD document for all
 * installations), and anyone can send any `client_id`: a low limit would let one address lock a
 * popular client out. It only stops floods spread across many addresses naming one client.
 */
export const DEFAULT_RATE_LIMIT_PER_CLIENT = 6000;

/** The window the limits count in, in ms: one minute. */
export const RATE_LIMIT_WINDOW_MS = 60_000;

/** Options of the rate limits (see `AuthorizationServerOptions.rateLimit`). */
export interface RateLimitOptions {
  /**
   * Counts the requests. Default: a new in-memory counter of this server (closed with it). Give
   * several instances one shared counter (the Redis one) to limit them together; a counter given
   * here is the caller's to close.
   */
  counter?: RateLimitCounter;
  /**
   * Requests per minute from one client IP (an IPv6 client's /64) on the three endpoints
   * together. Default {@link DEFAULT_RATE_LIMIT_PER_IP} (600); `0` turns this limit off.
   */
  perIpPerMinute?: number;
  /**
   * Requests per minute naming one `client_id` on the three endpoints together. Default
   * {@link DEFAULT_RATE_LIMIT_PER_CLIENT} (6000); `0` turns this limit off.
   */
  perClientPerMinute?: number;
}

/** The rate limits after defaults and validation. */
export interface ResolvedRateLimit {
  counter: RateLimitCounter;
  /** Whether the server made the counter (and so closes it). */
  ownsCounter: boolean;
  /** Per client IP per minute; 0: off. */
  perIpPerMinute: number;
  /** Per `client_id` per minute; 0: off. */
  perClientPerMinute: number;
}

function perMinute(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result < 0) {
    throw new InvalidOptionError(`rateLimit.${name} must be a whole number of requests per minute (0: off)`);
  }
  return result;
}

/** Validates `options` (`false`: off) and applies the defaults; `undefined` when limiting is off. */
export function resolveRateLimit(
  options: RateLimitOptions | false | undefined,
  now: () => number,
): ResolvedRateLimit | undefined {
  if (options === false) return undefined;
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new InvalidOptionError('rateLimit must be an object of options, or false to turn rate limits off');
  }
  const perIpPerMinute = perMinute(options?.perIpPerMinute, DEFAULT_RATE_LIMIT_PER_IP, 'perIpPerMinute');
  const perClientPerMinute = perMinute(
    options?.perClientPerMinute,
    DEFAULT_RATE_LIMIT_PER_CLIENT,
    'perClientPerMinute',
  );
  if (perIpPerMinute === 0 && perClientPerMinute === 0) return undefined;
  const given = options?.counter;
  if (given !== undefined && (typeof given.hit !== 'function' || typeof given.close !== 'function')) {
    throw new InvalidOptionError('rateLimit.counter must be a RateLimitCounter (hit and close)');
  }
  return {
    counter: given ?? createMemoryRateLimitCounter({ now }),
    ownsCounter: given === undefined,
    perIpPerMinute,
    perClientPerMinute,
  };
}
