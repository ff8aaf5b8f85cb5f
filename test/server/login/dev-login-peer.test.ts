/**
 * Regression tests of two flaws an attack on the server found (issue 9):
 *
 * - "500 on a non-loopback Host": /authorize for a valid client, and /consent, answered 500 when
 *   the Host header named another host (the development login threw).
 * - "The development login trusts the Host header": a caller on another machine sending
 *   `Host: 127.0.0.1:P` was signed in as the local developer. The login now judges the
 *   connection's real peer address, which the Node adapter hands the server (`env.incoming`).
 *
 * A caller "on another machine" is a request whose connection, as the Node adapter reports it,
 * comes from 203.0.113.7 (TEST-NET-3): the server is handed that connection the way
 * @hono/node-server hands it. The loopback case runs over a real loopback socket.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthorizationServer,
  createAuthorizationServer,
  devLogin,
  isLoopbackAddress,
  peerAddressOf,
} from '../../../src/server/index.js';
import { createMemoryStore } from '../../../src/store/memory/memory-store.js';
import type { Store } from '../../../src/store/store.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const REMOTE = { incoming: { socket: { remoteAddress: '203.0.113.7' } } };

let store: Store;
let server: AuthorizationServer;
let listener: Server;
let issuer: string;
let clientId: string;

function authorizeUrl(): string {
  const verifier = randomBytes(32).toString('base64url');
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: 'http://127.0.0.1:9/callback',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: 's',
    resource: RESOURCE,
  });
  return `${issuer}/authorize?${params}`;
}

beforeAll(async () => {
  let handler: AuthorizationServer['fetch'] = async () => new Response(null, { status: 503 });
  listener = serve({
    fetch: (request, env) => handler(request, env),
    port: 0,
    hostname: '127.0.0.1',
  }) as Server;
  await new Promise<void>((resolve) =>
    listener.listening ? resolve() : listener.once('listening', () => resolve()),
  );
  issuer = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  store = createMemoryStore();
  server = createAuthorizationServer({ issuer, resources: [RESOURCE], store, authenticator: devLogin() });
  handler = server.fetch;
  const registered = await server.fetch(
    new Request(`${issuer}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Peer test',
        redirect_uris: ['http://127.0.0.1/callback'],
        application_type: 'native',
        token_endpoint_auth_method: 'none',
      }),
    }),
  );
  clientId = ((await registered.json()) as { client_id: string }).client_id;
});

afterAll(async () => {
  listener.closeAllConnections();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  await server.close();
  await store.close();
});

describe('the development login judges the peer address, never the Host header (issue 9, flaws 3 and 4)', () => {
  it('a caller on another machine sending Host: 127.0.0.1 gets a 403 page, never the local user, never a 500', async () => {
    const response = await server.fetch(
      new Request(authorizeUrl(), { headers: { host: new URL(issuer).host } }),
      REMOTE,
    );
    expect(response.status).toBe(403);
    expect(response.headers.get('location')).toBeNull();
    const page = await response.text();
    expect(page).toContain('development login');
    expect(page).not.toContain('Allow access');
  });

  it('a non-loopback Host header from another machine is a 403 page, not a 500', async () => {
    const url = authorizeUrl().replace('127.0.0.1', 'auth.example.com');
    const response = await server.fetch(new Request(url), REMOTE);
    expect(response.status).toBe(403);
  });

  it('/consent posted from another machine is refused (403), never approved', async () => {
    const page = await server.fetch(new Request(authorizeUrl()));
    const html = await page.text();
    const interaction = /name="interaction" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const response = await server.fetch(
      new Request(`${issuer}/consent`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: issuer, cookie },
        body: new URLSearchParams({ interaction, csrf_token: csrf, decision: 'approve' }),
      }),
      REMOTE,
    );
    expect(response.status).toBe(403);
    expect(response.headers.get('location')).toBeNull();
  });

  it('prompt=none from another machine is login_required, not the local user', async () => {
    const response = await server.fetch(new Request(`${authorizeUrl()}&prompt=none`), REMOTE);
    expect(response.status).toBe(303);
    expect(new URL(response.headers.get('location') ?? '').searchParams.get('error')).toBe('login_required');
  });

  it('a browser on this machine, over a real loopback connection, still sees the consent page', async () => {
    const response = await fetch(authorizeUrl(), { redirect: 'manual' });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Signed in as');
  });

  it('peerAddressOf is the connection the adapter handed over; loopback means 127/8, ::1 and their mapped forms', async () => {
    const request = new Request(`${issuer}/health`);
    expect(peerAddressOf(request)).toBeUndefined();
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'])
      expect(isLoopbackAddress(address)).toBe(true);
    for (const address of ['203.0.113.7', '::ffff:10.0.0.1', '10.0.0.1', 'localhost', 'fe80::1'])
      expect(isLoopbackAddress(address)).toBe(false);
  });
});
