/**
 * How the token, revocation and registration endpoints are mounted: `POST` only (other methods
 * get `405` with `Allow: POST, OPTIONS` and an OAuth error body), and CORS for any origin so
 * browser-based MCP clients can call them. CORS with `*` is safe here: these endpoints use no
 * cookies or ambient credentials, only what the request body itself carries.
 *
 * @module
 */
import type { Hono, MiddlewareHandler } from 'hono';
import { openCors } from '../http/cors.js';
import { oauthErrorResponse } from '../http/responses.js';
import { OAuthError } from '../oauth-errors.js';

/**
 * Mounts `handler` for `POST path`, with CORS and a 405 for other methods. `guard` (the rate
 * limits) runs after CORS, so its answers carry the CORS headers, and before the handler.
 */
export function mountPostEndpoint(
  app: Hono,
  path: string,
  handler: (request: Request) => Promise<Response>,
  guard?: MiddlewareHandler,
): void {
  app.use(
    path,
    openCors({
      allowMethods: ['POST', 'OPTIONS'],
      allowHeaders: ['content-type', 'mcp-protocol-version', 'dpop'],
      exposeHeaders: ['dpop-nonce'],
      maxAgeSeconds: 600,
    }),
  );
  if (guard !== undefined) app.post(path, guard);
  app.post(path, (c) => handler(c.req.raw));
  app.all(path, () => {
    const response = oauthErrorResponse(
      new OAuthError('invalid_request', 'this endpoint accepts POST requests only', 405),
    );
    response.headers.set('allow', 'POST, OPTIONS');
    return response;
  });
}
