/**
 * The browser-facing routes of the authorization flow: `/authorize` (GET and POST), `/consent`
 * (the consent form's POST), `/authorize/return` (back from signing in after consent) and `/logo/:id` (trusted clients' logos, served from this origin).
 * The behaviour lives in `../authorize/`.
 *
 * @module
 */
import type { Hono } from 'hono';
import type { ServerContext } from '../authorization-server/context.js';
import { handleAuthorizationRequest } from '../authorize/authorize-flow.js';
import { handleConsentDecision } from '../authorize/consent-flow.js';
import { guardPage } from '../authorize/guard.js';
import { serveLogo } from '../authorize/logo.js';
import { handleSignInReturn } from '../authorize/sign-in-return.js';
import { rateLimitMiddleware } from '../rate-limit/middleware.js';

/** Mounts `/authorize`, `/consent` and `/logo/:id` under the issuer's path. */
export function registerAuthorizeRoutes(app: Hono, context: ServerContext): void {
  const { authorization, consent, logo, signInReturn } = context.endpoints;
  app.on(['GET', 'POST'], authorization.path, rateLimitMiddleware(context, 'authorization'), (c) =>
    guardPage(context, 'authorization.error', () => handleAuthorizationRequest(context, c.req.raw)),
  );
  app.post(consent.path, (c) =>
    guardPage(context, 'consent.error', () => handleConsentDecision(context, c.req.raw)),
  );
  app.get(signInReturn.path, (c) =>
    guardPage(context, 'sign_in_return.error', () => handleSignInReturn(context, c.req.raw)),
  );
  app.get(`${logo.path}/:id`, (c) => serveLogo(context, c.req.param('id')));
}
