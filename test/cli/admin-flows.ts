/**
 * What the `cimd admin` tests fill the store with, through real flows against a running
 * `cimd serve`: a CIMD client document (and a loopback callback) served over http on loopback,
 * a sign-in approved on the development login's consent page, the code redeemed at /token, and
 * refreshes of the refresh token.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { approveAuthorization } from '../helpers/approve.js';
import { authorizationRequest, type RegisteredClient, redeem } from '../serve/oauth-client.js';

/** A loopback host serving one client document at `/client.json` and a callback at `/callback`. */
export interface DocumentHost {
  /** The document's URL, which is its `client_id`. */
  clientId: string;
  redirectUri: string;
  /** How many times the document was fetched. */
  fetches(): number;
  /** Serves the document with these members added or replaced from now on. */
  update(members: Record<string, unknown>): void;
  close(): Promise<void>;
}

/** Serves a public CIMD client document (http, loopback: the server needs the development switches). */
export async function startDocumentHost(clientName: string): Promise<DocumentHost> {
  let fetches = 0;
  let extra: Record<string, unknown> = {};
  let origin = '';
  const server: Server = createServer((request, response) => {
    if (request.url === '/client.json') {
      fetches += 1;
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' });
      response.end(
        JSON.stringify({
          client_id: `${origin}/client.json`,
          client_name: clientName,
          redirect_uris: [`${origin}/callback`],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          ...extra,
        }),
      );
      return;
    }
    response.writeHead(request.url?.startsWith('/callback') ? 200 : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    clientId: `${origin}/client.json`,
    redirectUri: `${origin}/callback`,
    fetches: () => fetches,
    update(members) {
      extra = { ...extra, ...members };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What a sign-in left: the user, and the refresh token of its grant. */
export interface SignedIn {
  sub: string;
  refreshToken: string;
}

/** Signs `client` in (approving the consent page when shown) and redeems the code. */
export async function signIn(client: RegisteredClient): Promise<SignedIn> {
  const request = authorizationRequest(client);
  const { callback, status } = await approveAuthorization(request.url);
  expect(status).toBe(200);
  expect(callback.searchParams.get('state')).toBe(request.state);
  const code = callback.searchParams.get('code') ?? '';
  const { claims, body } = await redeem(client, code, request.verifier);
  expect(typeof body.refresh_token).toBe('string');
  return { sub: String(claims.sub), refreshToken: String(body.refresh_token) };
}

/** Refreshes at /token: the status, and the body (a new refresh token on 200, an error otherwise). */
export async function refresh(
  client: RegisteredClient,
  refreshToken: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${client.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: client.clientId,
      resource: client.resource,
    }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Whether `client`'s next authorization request shows the consent page (200) rather than redirecting. */
export async function asksConsent(client: RegisteredClient): Promise<boolean> {
  const response = await fetch(authorizationRequest(client).url, { redirect: 'manual' });
  await response.body?.cancel();
  return response.status === 200;
}
