/**
 * `/register`: Dynamic Client Registration, RFC 7591 (see `registration/register-client.ts`).
 * Mounted only when the server's `registration` option is on (the default); a CIMD-only server
 * answers 404 here and advertises no `registration_endpoint`.
 *
 * @module
 */
import type { Hono } from 'hono';
import type { ServerContext } from '../authorization-server/context.js';
import { mountPostEndpoint } from '../grants/post-endpoint.js';
import { rateLimitMiddleware } from '../rate-limit/middleware.js';
import { createInitialAccessTokenCheck } from '../registration/initial-access-token.js';
import { handleRegistrationRequest } from '../registration/register-client.js';

/**
 * Mounts `POST /register` (CORS, rate limits, 405 for other methods); with initial access
 * tokens, a request without a valid one is `401 invalid_token` before its body is read.
 */
export function registerRegistrationRoutes(app: Hono, context: ServerContext): void {
  const tokens = context.options.initialAccessTokens;
  const checkToken = tokens === undefined ? undefined : createInitialAccessTokenCheck(tokens);
  mountPostEndpoint(
    app,
    context.endpoints.registration.path,
    async (request) => (await checkToken?.(request)) ?? handleRegistrationRequest(context, request),
    rateLimitMiddleware(context, 'registration'),
  );
}
