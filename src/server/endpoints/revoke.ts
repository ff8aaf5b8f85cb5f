/**
 * /revoke: token revocation (RFC 7009). (Not built yet.)
 *
 * @module
 */
import type { Hono } from 'hono';
import type { ServerContext } from '../authorization-server/context.js';

/** Mounts the routes. */
export function registerRevocationRoutes(_app: Hono, _context: ServerContext): void {}
