/**
 * CORS for the endpoints browser-based MCP clients call with no ambient credentials (`/token`,
 * `/revoke`, `/register`): any origin, no cookies. A preflight (`OPTIONS`) is answered here with
 * `204`; every other answer gets `Access-Control-Allow-Origin: *` and the exposed headers added
 * after the handler ran (so the handler's response is kept as it is, never copied).
 *
 * @module
 */
import type { MiddlewareHandler } from 'hono';

/** What {@link openCors} allows. */
export interface OpenCorsOptions {
  /** Methods a preflight allows, e.g. `['POST', 'OPTIONS']`. */
  allowMethods: readonly string[];
  /** Request headers a preflight allows (lower case). */
  allowHeaders: readonly string[];
  /** Response headers scripts may read. */
  exposeHeaders: readonly string[];
  /** Seconds a browser may cache a preflight. */
  maxAgeSeconds: number;
}

/** The CORS middleware (any origin, no credentials); see the module documentation. */
export function openCors(options: OpenCorsOptions): MiddlewareHandler {
  const preflightHeaders = {
    'access-control-allow-origin': '*',
    'access-control-allow-methods': options.allowMethods.join(','),
    'access-control-allow-headers': options.allowHeaders.join(','),
    'access-control-max-age': String(options.maxAgeSeconds),
  };
  const exposed = options.exposeHeaders.join(',');
  return async (c, next) => {
    if (c.req.method === 'OPTIONS') return new Response(null, { status: 204, headers: preflightHeaders });
    await next();
    let headers = c.res.headers;
    try {
      headers.set('access-control-allow-origin', '*');
    } catch {
      // Immutable headers (a response from fetch): answer with a copy.
      c.res = new Response(c.res.body, c.res);
      headers = c.res.headers;
      headers.set('access-control-allow-origin', '*');
    }
    if (exposed !== '') headers.set('access-control-expose-headers', exposed);
  };
}
