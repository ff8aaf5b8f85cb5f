/**
 * `cimd serve`'s listener hands the authorization server the connection's real peer address, so
 * the development login judges who is really connected (issue 9, flaw 4), whatever
 * `X-Forwarded-For` or `Host` say, with or without `--trust-proxy` (which changes only the
 * client address in logs and the request's scheme and host).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Listener, listen } from '../../src/serve/listen.js';
import { logRequests } from '../../src/serve/request-log.js';
import { createAuthorizationServer, devLogin, peerAddressOf, silentLogger } from '../../src/server/index.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';

let listener: Listener | undefined;
afterEach(async () => {
  await listener?.close(0);
  listener = undefined;
});

/** Serves a handler that reports the peer address the server sees, behind the serve listener. */
async function peerSeen(trustProxy: boolean, headers: Record<string, string>): Promise<unknown> {
  listener = await listen({ host: '127.0.0.1', port: 0, trustProxy });
  const store = createMemoryStore();
  const server = createAuthorizationServer({
    issuer: listener.origin,
    resources: ['https://mcp.example.com/mcp'],
    store,
    authenticator: devLogin(),
  });
  server.app.get('/peer-probe', (c) => c.json({ peer: peerAddressOf(c.req.raw) ?? null }));
  listener.setHandler(logRequests(server.fetch, silentLogger));
  const response = await fetch(`${listener.origin}/peer-probe`, { headers });
  const body = await response.json();
  await server.close();
  await store.close();
  return body;
}

describe("the serve listener passes the connection's peer to the authorization server", () => {
  it('without --trust-proxy: the TCP peer, whatever X-Forwarded-For and Host say', async () => {
    expect(await peerSeen(false, { 'x-forwarded-for': '203.0.113.9', host: 'auth.example.com' })).toEqual({
      peer: '127.0.0.1',
    });
  });

  it('with --trust-proxy: still the TCP peer (the proxy), never the forwarded client address', async () => {
    expect(await peerSeen(true, { 'x-forwarded-for': '203.0.113.9' })).toEqual({ peer: '127.0.0.1' });
  });
});

describe('with --trust-proxy the request arrives as the client sent it to the proxy', () => {
  it('the forwarded scheme and host, the method, headers and body kept', async () => {
    listener = await listen({ host: '127.0.0.1', port: 0, trustProxy: true });
    listener.setHandler(
      async (request) =>
        new Response(
          JSON.stringify({
            url: request.url,
            method: request.method,
            type: request.headers.get('content-type'),
            body: await request.text(),
          }),
        ),
    );
    const response = await fetch(`${listener.origin}/token?x=1`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'auth.example.com',
      },
      body: 'grant_type=refresh_token',
    });
    expect(await response.json()).toEqual({
      url: 'https://auth.example.com/token?x=1',
      method: 'POST',
      type: 'application/x-www-form-urlencoded',
      body: 'grant_type=refresh_token',
    });
  });
});
