/**
 * `mcp-cimd/host/express`: Express middleware hosting a client metadata document (and its JWKS).
 * Express is an optional peer: this module imports only its types.
 *
 * ```ts
 * app.use(clientMetadataExpress({ document, jwks }));
 * ```
 *
 * @module
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { type ServeClientMetadataHandlerOptions, serveClientMetadata } from './handler.js';

export type { ClientIdMismatch, ServeClientMetadataHandlerOptions } from './handler.js';

/**
 * Express middleware answering requests for the document and the JWKS (see
 * `serveClientMetadata` for the rules); other paths call `next()`. The request URL is built from
 * `req.protocol` and the `Host` header (Express's `trust proxy` setting applies), so the
 * `client_id` check sees what clients see; behind a proxy you can also set `publicUrl`.
 *
 * @throws as `serveClientMetadata` does, at creation.
 */
export function clientMetadataExpress(options: ServeClientMetadataHandlerOptions): RequestHandler {
  const handle = serveClientMetadata(options);
  return (req: Request, res: Response, next: NextFunction) => {
    const headers = new Headers();
    const ifNoneMatch = req.headers['if-none-match'];
    if (typeof ifNoneMatch === 'string') headers.set('if-none-match', ifNoneMatch);
    let request: globalThis.Request;
    try {
      request = new globalThis.Request(
        `${req.protocol}://${req.get('host') ?? 'localhost'}${req.originalUrl}`,
        {
          method: req.method,
          headers,
        },
      );
    } catch {
      next();
      return;
    }
    handle(request).then(async (response) => {
      if (response === undefined) {
        next();
        return;
      }
      res.status(response.status);
      response.headers.forEach((value, name) => {
        res.setHeader(name, value);
      });
      res.end(response.body === null ? undefined : Buffer.from(await response.arrayBuffer()));
    }, next);
  };
}
