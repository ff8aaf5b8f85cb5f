/**
 * Hono middleware for a protected MCP server: the bearer check (sets `c.var.auth`) and the
 * protected-resource metadata endpoint.
 *
 * ```ts
 * const app = new Hono<BearerAuthEnv>();
 * protectedResourceMetadataRoute(app, metadata);
 * app.use('/mcp', bearerAuth({ verifier, resourceMetadataUrl: protectedResourceMetadataUrl(resource) }));
 * ```
 *
 * @module
 */
import type { Context, Env, Hono, MiddlewareHandler, Schema } from 'hono';
import type { AuthInfo } from './auth-info.js';
import { type BearerAuthOptions, createBearerAuthenticator } from './authenticate.js';
import { toResponse } from './http-reply.js';
import { metadataReply } from './metadata-endpoint.js';
import {
  type ProtectedResourceMetadata,
  protectedResourceMetadataPath,
} from './protected-resource-metadata.js';

/** The Hono environment the bearer middleware adds: `c.get('auth')` is the verified token. */
export interface BearerAuthEnv {
  Variables: { auth: AuthInfo };
}

/**
 * Requires a valid bearer token; see `createBearerAuthenticator` for the rules and answers.
 * On success sets `c.set('auth', authInfo)` and calls the next handler.
 *
 * @throws InvalidOptionError at creation when an option is invalid.
 */
export function bearerAuth(options: BearerAuthOptions): MiddlewareHandler<BearerAuthEnv> {
  const authenticate = createBearerAuthenticator(options);
  return async (c, next) => {
    const dpop = c.req.header('dpop');
    const result = await authenticate({
      authorization: c.req.header('authorization'),
      url: c.req.url,
      method: c.req.method,
      ...(dpop === undefined ? {} : { dpop }),
    });
    if (!result.ok) return toResponse(result.reply, c.req.method);
    c.set('auth', result.authInfo);
    await next();
    const extra = Object.entries(result.headers ?? {});
    if (extra.length > 0) {
      // A new Response (not a mutation): some adapters write the headers a Response was built with.
      const headers = new Headers(c.res.headers);
      for (const [name, value] of extra) headers.set(name, value);
      c.res = new Response(c.res.body, { status: c.res.status, statusText: c.res.statusText, headers });
    }
  };
}

/**
 * A handler serving `metadata` (use it for `GET` and `OPTIONS` at the metadata path when you
 * route it yourself, e.g. in an app mounted under a base path).
 */
export function protectedResourceMetadataHandler(
  metadata: ProtectedResourceMetadata,
): (c: Context) => Response {
  const frozen = structuredClone(metadata);
  return (c) =>
    toResponse(
      metadataReply(frozen, {
        method: c.req.method,
        accessControlRequestHeaders: c.req.header('access-control-request-headers'),
      }),
      c.req.method,
    );
}

/**
 * Serves `metadata` on `app` at its well-known path (derived from `metadata.resource`, DISC-01):
 * `GET` (and `HEAD`) with `application/json` and `Access-Control-Allow-Origin: *`, and the CORS
 * preflight, 405 for other methods. Returns `app`.
 */
export function protectedResourceMetadataRoute<E extends Env, S extends Schema, B extends string>(
  app: Hono<E, S, B>,
  metadata: ProtectedResourceMetadata,
): Hono<E, S, B> {
  const path = protectedResourceMetadataPath(metadata.resource);
  const handler = protectedResourceMetadataHandler(metadata);
  (app as unknown as Hono).all(path, handler);
  return app;
}
