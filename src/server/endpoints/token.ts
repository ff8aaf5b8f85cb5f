/**
 * `/token`: the authorization_code and refresh_token grants (see `grants/token-request.ts`).
 *
 * @module
 */
import type { Hono } from 'hono';
import type { ServerContext } from '../authorization-server/context.js';
import { mountPostEndpoint } from '../grants/post-endpoint.js';
import { handleTokenRequest } from '../grants/token-request.js';
import { rateLimitMiddleware } from '../rate-limit/middleware.js';

/** Mounts `POST /token` (CORS, rate limits, 405 for other methods). */
export function registerTokenRoutes(app: Hono, context: ServerContext): void {
  mountPostEndpoint(
    app,
    context.endpoints.token.path,
    (request) => handleTokenRequest(context, request),
    rateLimitMiddleware(context, 'token'),
  );
}
