/**
 * The operations flags of `cimd serve`, as the built bin: `--rate-limit` (429 with Retry-After
 * past it), `--no-rate-limit` (a burst goes through), `--registration-token-file` (DCR initial
 * access tokens) and `--fetch-proxy` (client documents fetched through a real CONNECT proxy on
 * loopback, which records what it was asked for).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startConnectProxy } from '../helpers/connect-proxy.js';
import { json, startHttpsHost } from '../helpers/https-host.js';
import { requireBuiltBin, runCimd } from '../helpers/run-cli.js';
import { createTestCa } from '../helpers/test-ca.js';
import { killAll, type Served, serve as serveBin } from '../serve/served.js';

const RESOURCE = 'http://127.0.0.1:4001/mcp';
const dir = mkdtempSync(join(tmpdir(), 'cimd-serve-limits-'));
const BASE = ['--port', '0', '--store', 'memory', '--resource', RESOURCE];
const REFRESH = 'grant_type=refresh_token&refresh_token=not-a-real-token';
const REGISTRATION = JSON.stringify({
  client_name: 'Registered MCP client',
  application_type: 'native',
  redirect_uris: ['http://127.0.0.1/callback'],
});

function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  return serveBin([...BASE, ...args], { cwd: dir, env });
}

function postToken(served: Served): Promise<Response> {
  return fetch(`${served.listening.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: REFRESH,
  });
}

function register(served: Served, authorization?: string): Promise<Response> {
  return fetch(`${served.listening.url}/register`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: REGISTRATION,
  });
}

beforeAll(() => requireBuiltBin());
afterEach(() => killAll());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cimd serve rate limits', () => {
  it('--rate-limit 3: the fourth request a minute from one address is 429 with Retry-After', async () => {
    const served = await serve(['--rate-limit', '3']);
    expect(served.listening.rateLimit).toEqual({ perIpPerMinute: 3, perClientPerMinute: 30 });
    for (let index = 0; index < 3; index++) expect((await postToken(served)).status).not.toBe(429);
    const refused = await postToken(served);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { error: string }).error).toBe('too_many_requests');
    expect(served.lines.find((line) => line.event === 'rate_limited')).toMatchObject({
      level: 'warn',
      scope: 'ip',
      limit: 3,
      endpoint: 'token',
    });
    expect(await served.stop()).toBe(0);
  });

  it('--no-rate-limit (and CIMD_RATE_LIMIT=off) let a burst past the default limit through', async () => {
    for (const served of [await serve(['--no-rate-limit']), await serve([], { CIMD_RATE_LIMIT: 'off' })]) {
      expect(served.listening.rateLimit).toBe(false);
      const statuses: number[] = [];
      for (let batch = 0; batch < 13; batch++) {
        const answers = await Promise.all(Array.from({ length: 50 }, () => postToken(served)));
        statuses.push(...answers.map((answer) => answer.status));
      }
      expect(statuses).toHaveLength(650);
      expect(statuses).not.toContain(429);
      expect(await served.stop()).toBe(0);
    }
  });

  it('refuses a bad --rate-limit, and --rate-limit-per-client with --no-rate-limit', async () => {
    const bad = await runCimd(['serve', ...BASE, '--rate-limit', 'lots'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--rate-limit.*requests per minute/);
    const both = await runCimd(['serve', ...BASE, '--no-rate-limit', '--rate-limit-per-client', '100'], {
      cwd: dir,
    });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/rate limits are off/);
  });
});

describe('cimd serve --registration-token-file', () => {
  const tokens = ['first-initial-token-0123456789', 'second-initial-token-abcdefghij'];

  it('requires one of the file tokens at /register (401 invalid_token otherwise)', async () => {
    const file = join(dir, 'registration-tokens');
    writeFileSync(file, `# one token a line\n${tokens[0]}\n\n${tokens[1]}\n`, { mode: 0o600 });
    const served = await serve(['--registration-token-file', file]);
    expect(served.listening.registrationTokens).toBe(true);
    const without = await register(served);
    expect(without.status).toBe(401);
    expect(((await without.json()) as { error: string }).error).toBe('invalid_token');
    expect((await register(served, 'Bearer not-one-of-the-tokens-at-all')).status).toBe(401);
    expect((await register(served, `Bearer ${tokens[1]}`)).status).toBe(201);
    expect(JSON.stringify(served.lines)).not.toContain(tokens[1]);
    expect(await served.stop()).toBe(0);
  });

  it('without it registration stays open', async () => {
    const served = await serve([]);
    expect((await register(served)).status).toBe(201);
    expect(await served.stop()).toBe(0);
  });

  it('refuses a file with a short token without quoting it, and a missing file', async () => {
    const file = join(dir, 'weak-tokens');
    writeFileSync(file, 'hunter2\n');
    const weak = await runCimd(['serve', ...BASE, '--registration-token-file', file], { cwd: dir });
    expect(weak.code).toBe(2);
    expect(weak.stderr).toMatch(/shorter than 16 characters/);
    expect(weak.stderr).not.toContain('hunter2');
    const missing = await runCimd(['serve', ...BASE, '--registration-token-file', join(dir, 'nope')], {
      cwd: dir,
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope/);
  });
});

describe('cimd serve --fetch-proxy', () => {
  it('fetches client documents through the proxy, tunnelling to the address resolved here', async () => {
    const ca = createTestCa();
    const host = await startHttpsHost(ca);
    const clientId = `${host.origin}/client.json`;
    host.route(
      '/client.json',
      json({
        client_id: clientId,
        client_name: 'Proxied client',
        redirect_uris: ['http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'none',
      }),
    );
    const proxy = await startConnectProxy(host.port);
    try {
      const proxyUrl = new URL(proxy.url);
      proxyUrl.username = 'svc';
      proxyUrl.password = 'proxy-password';
      const served = await serve(['--allow-private-network', '--fetch-proxy', proxyUrl.href], {
        NODE_EXTRA_CA_CERTS: ca.caCertPath,
      });
      expect(served.listening.fetchProxy).toBe(proxy.url);
      const warning = served.lines.find((line) => line.option === 'fetchProxy');
      expect(warning?.level).toBe('warn');
      expect(warning?.msg).toMatch(/the proxy's own egress rules must refuse internal addresses/);
      expect(JSON.stringify(served.lines)).not.toContain('proxy-password');

      const query = new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: 'http://127.0.0.1/callback',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        resource: RESOURCE,
      });
      const page = await fetch(`${served.listening.url}/authorize?${query}`, { redirect: 'manual' });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Proxied client');
      expect(host.hits.get('/client.json')).toBe(1);
      expect(proxy.connects).toHaveLength(1);
      expect(proxy.connects[0]?.authority).toMatch(new RegExp(`^(127\\.0\\.0\\.1|\\[::1\\]):${host.port}$`));
      expect(proxy.connects[0]?.proxyAuthorization).toBe(
        `Basic ${Buffer.from('svc:proxy-password').toString('base64')}`,
      );
      expect(await served.stop()).toBe(0);
    } finally {
      await proxy.close();
      await host.close();
      ca.dispose();
    }
  });

  it('refuses a proxy URL that is not an http(s) origin', async () => {
    const result = await runCimd(['serve', ...BASE, '--fetch-proxy', 'socks5://127.0.0.1:1080'], {
      cwd: dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--fetch-proxy.*http:\/\/ or https:\/\//);
  });
});
