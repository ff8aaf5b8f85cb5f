/**
 * The server's public signing keys (`/jwks`).
 *
 * @module
 */
import type { Hono } from 'hono';
import type { ServerContext } from '../authorization-server/context.js';

/** Mounts `/jwks` (public keys, cacheable for 5 minutes). */
export function registerJwksRoutes(app: Hono, context: ServerContext): void {
  app.get(context.endpoints.jwks.path, async (c) => {
    const jwks = await context.signingKeys.publicJwks();
    c.header('cache-control', 'public, max-age=300');
    c.header('access-control-allow-origin', '*');
    return c.json(jwks, 200, { 'content-type': 'application/jwk-set+json' });
  });
}
