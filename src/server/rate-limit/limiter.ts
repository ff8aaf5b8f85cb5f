/**
 * The rate limiter of `/authorize`, `/token` and `/register`: each request is counted under its
 * client IP and under the `client_id` it names, in one-minute windows of the configured counter;
 * over either limit it is refused with `429` and `Retry-After` (seconds until the window ends).
 * A counter that fails (a shared backend down) lets the request through, with a warning: rate
 * limits protect availability and must not take it away.
 *
 * @module
 */

import { readBodyBytes } from '../http/body.js';
import { MAX_FORM_BYTES } from '../http/params.js';
import { clientAddressFromEnv } from '../http/peer.js';
import type { Logger } from '../logger.js';
import { clientRateLimitKey, ipRateLimitKey } from './keys.js';
import { RATE_LIMIT_WINDOW_MS, type ResolvedRateLimit } from './options.js';

/** Why a request was refused: which limit, and how long until its window ends. */
export interface RateLimitRefusal {
  /** `ip` (the client address's limit) or `client` (the `client_id`'s). */
  scope: 'ip' | 'client';
  /** The limit exceeded, in requests per minute. */
  limit: number;
  /** Seconds until the window ends (at least 1). */
  retryAfterSeconds: number;
}

/** Counts requests; {@link RateLimiter.check} says whether one is over a limit. */
export interface RateLimiter {
  /** Counts `request` and answers `undefined` (go on) or why it is refused. */
  check(request: Request, env: unknown, endpoint: string): Promise<RateLimitRefusal | undefined>;
  /** Closes the counter when the server made it. */
  close(): Promise<void>;
}

/** The `sub` of a JWT (unverified: it only picks a counting key, never grants anything). */
function subjectOf(assertion: string): string | undefined {
  const payload = assertion.split('.')[1];
  if (payload === undefined || payload.length > 8192) return undefined;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: unknown };
    return typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : undefined;
  } catch {
    return undefined;
  }
}

/** The `client_id` `params` name: the parameter, else a client assertion's `sub`. */
function clientIdIn(params: URLSearchParams): string | undefined {
  const clientId = params.get('client_id');
  if (clientId !== null && clientId !== '') return clientId;
  const assertion = params.get('client_assertion');
  return assertion === null ? undefined : subjectOf(assertion);
}

/**
 * The bytes of `request`'s body (read once: the endpoint gets the same bytes), or `undefined`
 * past {@link MAX_FORM_BYTES} or on a broken body (the endpoint says what is wrong with it).
 */
async function bodyOf(request: Request): Promise<Uint8Array | undefined> {
  try {
    return await readBodyBytes(request, MAX_FORM_BYTES, () => new Error('too large'));
  } catch {
    return undefined;
  }
}

/** The `client_id` a request names: in the query, or in a form body. */
async function clientIdOf(request: Request): Promise<string | undefined> {
  const fromQuery = clientIdIn(new URL(request.url).searchParams);
  if (fromQuery !== undefined || request.method !== 'POST') return fromQuery;
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return undefined;
  const bytes = await bodyOf(request);
  return bytes === undefined ? undefined : clientIdIn(new URLSearchParams(new TextDecoder().decode(bytes)));
}

/** Creates the limiter of `settings`; `now` (epoch ms) gives the `Retry-After`. */
export function createRateLimiter(
  settings: ResolvedRateLimit,
  logger: Logger,
  now: () => number = Date.now,
): RateLimiter {
  const { counter, perIpPerMinute, perClientPerMinute } = settings;
  const count = async (
    key: string,
    scope: RateLimitRefusal['scope'],
    limit: number,
    endpoint: string,
  ): Promise<RateLimitRefusal | undefined> => {
    const window = await counter.hit(key, RATE_LIMIT_WINDOW_MS);
    if (window.count <= limit) return undefined;
    // Logged once per key and window: a flood must not become a flood of log lines.
    if (window.count === limit + 1)
      logger.warn({ event: 'rate_limited', scope, limit, endpoint }, 'rate limited');
    return { scope, limit, retryAfterSeconds: Math.max(1, Math.ceil((window.resetAt - now()) / 1000)) };
  };
  return {
    check: async (request, env, endpoint) => {
      const address = perIpPerMinute > 0 ? clientAddressFromEnv(env) : undefined;
      const clientId = perClientPerMinute > 0 ? await clientIdOf(request) : undefined;
      try {
        const refusals = await Promise.all([
          address === undefined ? undefined : count(ipRateLimitKey(address), 'ip', perIpPerMinute, endpoint),
          clientId === undefined
            ? undefined
            : count(await clientRateLimitKey(clientId), 'client', perClientPerMinute, endpoint),
        ]);
        const refused = refusals.filter((refusal) => refusal !== undefined);
        return refused.sort((a, b) => b.retryAfterSeconds - a.retryAfterSeconds)[0];
      } catch (error) {
        logger.warn(
          { event: 'rate_limit_unavailable', err: error instanceof Error ? error.message : String(error) },
          'the rate-limit counter failed; letting the request through',
        );
        return undefined;
      }
    },
    close: async () => {
      if (settings.ownsCounter) await counter.close();
    },
  };
}
