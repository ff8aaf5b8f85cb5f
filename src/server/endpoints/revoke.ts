/**
 * `/revoke`: token revocation, RFC 7009 (see `grants/revocation.ts`).
 *
 * @module
 */
import type { Hono } from 'hono';
import type { ServerContext } from '../authorization-server/context.js';
import { mountPostEndpoint } from '../grants/post-endpoint.js';
import { handleRevocationRequest } from '../grants/revocation.js';

/** Mounts `POST /revoke` (CORS, 405 for other methods). */
export function registerRevocationRoutes(app: Hono, context: ServerContext): void {
  mountPostEndpoint(app, context.endpoints.revocation.path, (request) =>
    handleRevocationRequest(context, request),
  );
}
