/**
 * Which address the rate limits count behind `cimd serve`'s listener: the TCP peer, whatever
 * `X-Forwarded-For` or `Forwarded` say, unless `--trust-proxy` is on; then the address the proxy
 * directly in front reports (the last element it added, never the client's own claims).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Listener, listen } from '../../src/serve/listen.js';
import { logRequests } from '../../src/serve/request-log.js';
import {
  type AuthorizationServer,
  createAuthorizationServer,
  devLogin,
  silentLogger,
} from '../../src/server/index.js';
import { createMemoryStore } from '../../src/store/index.js';

let listener: Listener | undefined;
let server: AuthorizationServer | undefined;
afterEach(async () => {
  await listener?.close(0);
  await server?.close();
  listener = undefined;
  server = undefined;
});

/** Serves an authorization server allowing 2 requests a minute per client IP. */
async function start(trustProxy: boolean): Promise<string> {
  listener = await listen({ host: '127.0.0.1', port: 0, trustProxy });
  server = createAuthorizationServer({
    issuer: 'http://127.0.0.1:4000',
    resources: ['https://mcp.example.com/mcp'],
    store: createMemoryStore(),
    authenticator: devLogin(),
    rateLimit: { perIpPerMinute: 2, perClientPerMinute: 0 },
  });
  listener.setHandler(logRequests(server.fetch, silentLogger));
  return listener.origin;
}

async function token(origin: string, headers: Record<string, string>): Promise<number> {
  const response = await fetch(`${origin}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: 'grant_type=refresh_token&refresh_token=x',
  });
  await response.body?.cancel();
  return response.status;
}

describe('the client address of the rate limits', () => {
  it('without --trust-proxy: the TCP peer; forwarded headers change nothing', async () => {
    const origin = await start(false);
    const statuses = [];
    for (const address of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
      statuses.push(await token(origin, { 'x-forwarded-for': address, forwarded: `for=${address}` }));
    }
    expect(statuses.slice(0, 2)).not.toContain(429);
    expect(statuses[2]).toBe(429);
  });

  it('with --trust-proxy: the address the proxy reports, each counted alone', async () => {
    const origin = await start(true);
    for (let index = 0; index < 2; index++)
      expect(await token(origin, { 'x-forwarded-for': '198.51.100.7' })).not.toBe(429);
    expect(await token(origin, { 'x-forwarded-for': '198.51.100.7' })).toBe(429);
    expect(await token(origin, { 'x-forwarded-for': '198.51.100.8' })).not.toBe(429);
    // A client's own claim before the proxy's element changes nothing: the last element counts.
    expect(await token(origin, { 'x-forwarded-for': '192.0.2.1, 198.51.100.7' })).toBe(429);
    // IPv6 clients are counted by their /64.
    expect(await token(origin, { forwarded: 'for="[2001:db8:1:2::1]"' })).not.toBe(429);
    expect(await token(origin, { forwarded: 'for="[2001:db8:1:2::ffff]"' })).not.toBe(429);
    expect(await token(origin, { forwarded: 'for="[2001:db8:1:2:aaaa::1]"' })).toBe(429);
    expect(await token(origin, { forwarded: 'for="[2001:db8:1:3::1]"' })).not.toBe(429);
  });
});
