/**
 * A Hono middleware hosting a client metadata document (and its JWKS). It imports only Hono's
 * types.
 *
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import { type ServeClientMetadataHandlerOptions, serveClientMetadata } from './handler.js';

/**
 * Hono middleware answering requests for the document and the JWKS (see
 * `serveClientMetadata` for the rules); other paths go to the next handler.
 *
 * ```ts
 * app.use(clientMetadataMiddleware({ document, jwks }));
 * ```
 *
 * @throws as `serveClientMetadata` does, at creation.
 */
export function clientMetadataMiddleware(options: ServeClientMetadataHandlerOptions): MiddlewareHandler {
  const handle = serveClientMetadata(options);
  return async (c, next) => {
    const response = await handle(c.req.raw);
    if (response !== undefined) return response;
    await next();
    return undefined;
  };
}
