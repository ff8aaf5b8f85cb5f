/**
 * /authorize and /consent: the authorization request, sign-in and consent. (Not built yet.)
 *
 * @module
 */
import type { Hono } from 'hono';
import type { ServerContext } from '../authorization-server/context.js';

/** Mounts the routes. */
export function registerAuthorizeRoutes(_app: Hono, _context: ServerContext): void {}
