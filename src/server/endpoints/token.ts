/**
 * /token: the authorization_code and refresh_token grants. (Not built yet.)
 *
 * @module
 */
import type { Hono } from 'hono';
import type { ServerContext } from '../authorization-server/context.js';

/** Mounts the routes. */
export function registerTokenRoutes(_app: Hono, _context: ServerContext): void {}
