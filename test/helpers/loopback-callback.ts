/**
 * The browserless sign-in of a native OAuth client driven by a test (an independent client such
 * as oauth4webapi): its loopback callback listener, the authorization request for the code flow
 * with PKCE, and the user approving on our consent page (test/helpers/approve.ts) until the
 * browser lands on the callback.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { expect } from 'vitest';
import { type ApproveOptions, approveToRedirect } from './approve.js';
import { closeServer, listenHttp } from './mcp-e2e.js';

/** The loopback callback listener of a native client: remembers the last request's URL. */
export interface LoopbackCallback {
  /** `http://127.0.0.1:<port>/callback` */
  redirectUri: string;
  last: URL | undefined;
  close(): Promise<void>;
}

/** Starts a callback listener on 127.0.0.1 that answers every request 200. */
export async function startLoopbackCallback(): Promise<LoopbackCallback> {
  const { server, origin } = await listenHttp();
  const callback: LoopbackCallback = {
    redirectUri: `${origin}/callback`,
    last: undefined,
    close: () => closeServer(server),
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    callback.last = new URL(req.url ?? '/', origin);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('You can close this window.');
  });
  return callback;
}

/** The parameters of an authorization request for the code flow with PKCE (S256). */
export interface CodeRequest {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  state: string;
  scope: string;
  resource: string;
}

/** `endpoint` with the query of a code-flow authorization request. */
export function codeAuthorizationUrl(endpoint: string, request: CodeRequest): URL {
  const url = new URL(endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    code_challenge: request.codeChallenge,
    code_challenge_method: 'S256',
    state: request.state,
    scope: request.scope,
    resource: request.resource,
  }).toString();
  return url;
}

/**
 * Approves `authorizationUrl` as the user (dev login, consent form with its CSRF cookie), expects
 * the 303 to go to `callback`, follows it, and returns the URL the callback listener received.
 */
export async function approveToCallback(
  authorizationUrl: URL,
  callback: LoopbackCallback,
  options: ApproveOptions = {},
): Promise<URL> {
  const location = await approveToRedirect(authorizationUrl, options);
  expect(location.href.startsWith(callback.redirectUri)).toBe(true);
  callback.last = undefined;
  const followed = await fetch(location);
  expect(followed.status).toBe(200);
  await followed.body?.cancel();
  const received = callback.last as URL | undefined;
  expect(received).toBeDefined();
  return received as URL;
}
