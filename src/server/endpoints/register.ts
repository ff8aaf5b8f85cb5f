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
import { handleRegistrationRequest } from '../registration/register-client.js';

/** Mounts `POST /register` (CORS, 405 for other methods). */
export function registerRegistrationRoutes(app: Hono, context: ServerContext): void {
  mountPostEndpoint(app, context.endpoints.registration.path, (request) =>
    handleRegistrationRequest(context, request),
  );
}
