/**
 * The rate limits at the endpoints: a Hono middleware answering a request over a limit with
 * `429 Too Many Requests` and `Retry-After` (seconds). `/token` and `/register` answer in JSON,
 * `{"error":"too_many_requests","error_description":…}` (OAuth registers no code for this; the
 * name follows HTTP's and what other authorization servers send); `/authorize` answers with the
 * plain error page, never a redirect: the redirect URI is the requester's to choose, and a flood
 * must not be bounced anywhere.
 *
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import type { ServerContext } from '../authorization-server/context.js';
import { noStoreJson } from '../http/responses.js';
import { renderErrorPage } from '../ui/error-page.js';
import type { RateLimitRefusal } from './limiter.js';

/** The `error` code of a rate-limited JSON answer. */
export const RATE_LIMITED_ERROR = 'too_many_requests';

function describe(refusal: RateLimitRefusal): string {
  const who = refusal.scope === 'ip' ? 'this address' : 'this client_id';
  return `too many requests from ${who} (at most ${refusal.limit} a minute); try again in ${refusal.retryAfterSeconds} seconds`;
}

/** The 429 of a JSON endpoint. */
export function rateLimitedJson(refusal: RateLimitRefusal): Response {
  return noStoreJson({ error: RATE_LIMITED_ERROR, error_description: describe(refusal) }, 429, {
    'retry-after': String(refusal.retryAfterSeconds),
  });
}

/** The 429 of `/authorize`: the error page, never a redirect. */
export async function rateLimitedPage(refusal: RateLimitRefusal): Promise<Response> {
  const page = await renderErrorPage({
    error: RATE_LIMITED_ERROR,
    description: describe(refusal),
    status: 429,
  });
  const headers = new Headers(page.headers);
  headers.set('retry-after', String(refusal.retryAfterSeconds));
  return new Response(page.body, { status: 429, headers });
}

/**
 * The middleware counting the requests of `endpoint` (`authorization`, `token` or
 * `registration`); a no-op when the server's rate limits are off.
 */
export function rateLimitMiddleware(
  context: ServerContext,
  endpoint: 'authorization' | 'token' | 'registration',
): MiddlewareHandler {
  return async (c, next) => {
    const limiter = context.rateLimiter;
    if (limiter === undefined) return next();
    const refusal = await limiter.check(c.req.raw, c.env, endpoint);
    if (refusal === undefined) return next();
    return endpoint === 'authorization' ? rateLimitedPage(refusal) : rateLimitedJson(refusal);
  };
}
