/**
 * /register: Dynamic Client Registration (RFC 7591). (Not built yet.)
 *
 * @module
 */
import type { Hono } from 'hono';
import type { ServerContext } from '../authorization-server/context.js';

/** Mounts the routes. */
export function registerRegistrationRoutes(_app: Hono, _context: ServerContext): void {}
