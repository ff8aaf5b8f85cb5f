/**
 * Rate limits on /authorize, /token and /register, over real loopback connections from distinct
 * source addresses: 429 with Retry-After past the limit (JSON at /token and /register, the error
 * page at /authorize, never a redirect), per-IP and per-client_id separation, one limit shared
 * by two instances on one counter, on by default, off with `rateLimit: false`, and a failing
 * counter that lets requests through.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AuthorizationServer,
  type AuthorizationServerOptions,
  createAuthorizationServer,
  DEFAULT_RATE_LIMIT_PER_IP,
  devLogin,
} from '../../../src/server/index.js';
import {
  createMemoryRateLimitCounter,
  createMemoryStore,
  type RateLimitCounter,
} from '../../../src/store/index.js';
import { type Answer, type Listening, listenOnLoopback, postToken, send } from './loopback.js';

const ISSUER = 'http://127.0.0.1:4000';
const RESOURCE = 'https://mcp.example.com/mcp';
const REGISTRATION = {
  client_name: 'Registered MCP client',
  application_type: 'native',
  redirect_uris: ['http://127.0.0.1/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
};
const REFRESH = { grant_type: 'refresh_token', refresh_token: 'not-a-real-token' };

const open: { server: AuthorizationServer; listening: Listening }[] = [];
afterEach(async () => {
  for (const { server, listening } of open.splice(0)) {
    await listening.close();
    await server.close();
  }
});

type Logged = { level: string; fields: Record<string, unknown> };

async function start(
  options: Partial<AuthorizationServerOptions> = {},
  logs: Logged[] = [],
): Promise<{ server: AuthorizationServer; port: number }> {
  const log = (level: string) => (fields: Record<string, unknown>) => {
    logs.push({ level, fields });
  };
  const server = createAuthorizationServer({
    issuer: ISSUER,
    resources: [RESOURCE],
    store: createMemoryStore(),
    authenticator: devLogin(),
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    ...options,
  });
  const listening = await listenOnLoopback(server);
  open.push({ server, listening });
  return { server, port: listening.port };
}

function expectRateLimitedJson(answer: Answer): void {
  expect(answer.status).toBe(429);
  const retryAfter = Number(answer.headers['retry-after']);
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect(answer.headers['cache-control']).toBe('no-store');
  const body = JSON.parse(answer.body) as { error: string; error_description: string };
  expect(body.error).toBe('too_many_requests');
  expect(body.error_description).toMatch(/try again in \d+ seconds/);
}

/** Sends `count` token requests and returns their statuses. */
async function tokenStatuses(port: number, count: number, params: Record<string, string>, from?: string) {
  const statuses: number[] = [];
  for (let index = 0; index < count; index++) statuses.push((await postToken(port, params, from)).status);
  return statuses;
}

describe('rate limits per client IP', () => {
  it('/token: 429 with Retry-After and a JSON error past the limit, with CORS headers', async () => {
    const { port } = await start({ rateLimit: { perIpPerMinute: 3, perClientPerMinute: 0 } });
    expect(await tokenStatuses(port, 3, REFRESH)).not.toContain(429);
    const refused = await postToken(port, REFRESH);
    expectRateLimitedJson(refused);
    expect(JSON.parse(refused.body).error_description).toContain('this address (at most 3 a minute)');
    const cors = await send(port, '/token', {
      method: 'POST',
      headers: { origin: 'https://app.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token',
    });
    expect(cors.status).toBe(429);
    expect(cors.headers['access-control-allow-origin']).toBe('*');
  });

  it('/authorize: the error page with 429 and Retry-After, never a redirect to the redirect URI', async () => {
    const { port } = await start({ rateLimit: { perIpPerMinute: 2, perClientPerMinute: 0 } });
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: 'https://client.example/client.json',
      redirect_uri: 'https://attacker.example/callback',
      state: 's',
    });
    for (let index = 0; index < 2; index++)
      expect((await send(port, `/authorize?${query}`)).status).not.toBe(429);
    const refused = await send(port, `/authorize?${query}`);
    expect(refused.status).toBe(429);
    expect(refused.headers.location).toBeUndefined();
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.headers['content-type']).toMatch(/^text\/html/);
    expect(refused.body).toContain('too_many_requests');
    expect(refused.body).not.toContain('attacker.example');
  });

  it('/register is counted with the other endpoints, and each client IP has its own count', async () => {
    const { port } = await start({ rateLimit: { perIpPerMinute: 2, perClientPerMinute: 0 } });
    const register = (from: string) =>
      send(port, '/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(REGISTRATION),
        from,
      });
    expect((await register('127.0.0.1')).status).toBe(201);
    expect((await postToken(port, REFRESH, '127.0.0.1')).status).not.toBe(429);
    expectRateLimitedJson(await register('127.0.0.1'));
    expect((await register('127.0.0.2')).status).toBe(201);
    expect((await postToken(port, REFRESH, '127.0.0.3')).status).not.toBe(429);
    expectRateLimitedJson(await postToken(port, REFRESH, '127.0.0.1'));
  });

  it(`is on by default: ${DEFAULT_RATE_LIMIT_PER_IP} requests a minute per IP`, async () => {
    const { port } = await start();
    const statuses = await tokenStatuses(port, DEFAULT_RATE_LIMIT_PER_IP, REFRESH);
    expect(statuses).not.toContain(429);
    expectRateLimitedJson(await postToken(port, REFRESH));
    expect((await postToken(port, REFRESH, '127.0.0.2')).status).not.toBe(429);
  });

  it('rateLimit: false lets a burst through', async () => {
    const { port } = await start({ rateLimit: false });
    const statuses = await Promise.all(Array.from({ length: 100 }, () => postToken(port, REFRESH)));
    expect(statuses.map((answer) => answer.status)).not.toContain(429);
  });
});

describe('rate limits per client_id', () => {
  it('counts each client_id alone, from the parameter or a client assertion', async () => {
    const { port } = await start({ rateLimit: { perIpPerMinute: 0, perClientPerMinute: 2 } });
    const a = { ...REFRESH, client_id: 'https://a.example/client.json' };
    const b = { ...REFRESH, client_id: 'https://b.example/client.json' };
    expect(await tokenStatuses(port, 2, a)).not.toContain(429);
    const refused = await postToken(port, a, '127.0.0.9');
    expectRateLimitedJson(refused);
    expect(JSON.parse(refused.body).error_description).toContain('this client_id');
    expect((await postToken(port, b)).status).not.toBe(429);
    // An assertion naming client a (its sub) counts for a, though no client_id parameter is sent.
    const payload = Buffer.from(JSON.stringify({ sub: a.client_id, iss: a.client_id })).toString('base64url');
    const assertion = { ...REFRESH, client_assertion: `eyJhbGciOiJFUzI1NiJ9.${payload}.sig` };
    expectRateLimitedJson(await postToken(port, assertion));
    // /authorize's query names it too.
    const query = new URLSearchParams({ response_type: 'code', client_id: a.client_id });
    expect((await send(port, `/authorize?${query}`)).status).toBe(429);
  });

  it('counts long client_ids by a hash, so no counting key is longer than 160 characters', async () => {
    const keys: string[] = [];
    const inner = createMemoryRateLimitCounter();
    const recording: RateLimitCounter = {
      hit: (key, windowMs) => {
        keys.push(key);
        return inner.hit(key, windowMs);
      },
      close: () => inner.close(),
    };
    const { port } = await start({ rateLimit: { counter: recording, perClientPerMinute: 1 } });
    const long = `https://client.example/${'x'.repeat(5000)}`;
    expect((await postToken(port, { ...REFRESH, client_id: long })).status).not.toBe(429);
    expect((await postToken(port, { ...REFRESH, client_id: `${long}y` })).status).not.toBe(429);
    expectRateLimitedJson(await postToken(port, { ...REFRESH, client_id: long }));
    expect(keys.length).toBe(6); // IP and client, three times
    expect(Math.max(...keys.map((key) => key.length))).toBeLessThanOrEqual(160);
    expect(keys).toContain('ip:127.0.0.1');
    await inner.close();
  });
});

describe('a counter shared by instances', () => {
  it('two servers on one counter share one limit', async () => {
    const counter = createMemoryRateLimitCounter();
    const options = { rateLimit: { counter, perIpPerMinute: 4, perClientPerMinute: 0 } };
    const first = await start(options);
    const second = await start(options);
    expect(await tokenStatuses(first.port, 2, REFRESH)).not.toContain(429);
    expect(await tokenStatuses(second.port, 2, REFRESH)).not.toContain(429);
    expectRateLimitedJson(await postToken(first.port, REFRESH));
    expectRateLimitedJson(await postToken(second.port, REFRESH));
    await counter.close();
  });

  it('a counter that fails lets requests through, with a warning', async () => {
    const logs: Logged[] = [];
    const failing: RateLimitCounter = {
      hit: async () => {
        throw new Error('connection refused');
      },
      close: async () => {},
    };
    const { port } = await start({ rateLimit: { counter: failing, perIpPerMinute: 1 } }, logs);
    expect(await tokenStatuses(port, 3, REFRESH)).not.toContain(429);
    expect(logs.filter((line) => line.fields.event === 'rate_limit_unavailable')).toHaveLength(3);
  });

  it('logs the first refusal of a window once, not every refused request', async () => {
    const logs: Logged[] = [];
    const { port } = await start({ rateLimit: { perIpPerMinute: 1, perClientPerMinute: 0 } }, logs);
    await tokenStatuses(port, 5, REFRESH);
    expect(logs.filter((line) => line.fields.event === 'rate_limited')).toEqual([
      { level: 'warn', fields: { event: 'rate_limited', scope: 'ip', limit: 1, endpoint: 'token' } },
    ]);
  });
});

describe('rateLimit options', () => {
  it.each([{ perIpPerMinute: -1 }, { perClientPerMinute: 1.5 }, { counter: {} as RateLimitCounter }])(
    'refuses %o',
    (rateLimit) => {
      expect(() =>
        createAuthorizationServer({
          issuer: ISSUER,
          resources: [RESOURCE],
          store: createMemoryStore(),
          authenticator: devLogin(),
          rateLimit,
        }),
      ).toThrow(/rateLimit/);
    },
  );
});
