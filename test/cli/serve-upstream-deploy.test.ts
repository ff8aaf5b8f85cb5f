/**
 * `cimd serve --upstream …` as deployed, the built bin: the encryption key file generated beside
 * the SQLite database (mode 0600) and reused after a restart, so what was sealed before still
 * opens; an https issuer behind a TLS-terminating proxy (`--trust-proxy`, whose forwarded headers
 * are believed then only); and the start-up refusals (exit 2, a message naming the fix).
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreamTokenReader, oidcProvider } from '../../src/server/index.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { requireBuiltBin, runCimd } from '../helpers/run-cli.js';
import { authorizationRequest, codeOf, redeem, registerClient } from '../serve/oauth-client.js';
import { cleanEnv, killAll, serve } from '../serve/served.js';
import { oidcFlags, useIdpForServe } from '../serve/upstreams.js';
import { approveConsent, CookieJar, signInThroughProxy } from '../server/upstream/harness.js';

const RESOURCE = 'https://mcp.example.com/mcp';
let dir: string;

beforeAll(async () => {
  requireBuiltBin();
  dir = await mkdtemp(join(tmpdir(), 'cimd-serve-deploy-'));
});
afterEach(() => killAll());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the encryption key file beside the SQLite database', () => {
  const upstream = useIdpForServe();

  it('is generated with mode 0600, reused after a restart, and opens what was sealed before', async () => {
    const { idp, port, issuer } = upstream;
    const cwd = await mkdtemp(join(dir, 'sqlite-'));
    const args = [...['--port', String(port), '--resource', RESOURCE], ...oidcFlags(idp)];
    const env = { CIMD_UPSTREAM_CLIENT_SECRET: idp.clientSecret ?? '' };
    const keyFile = join(cwd, 'cimd.encryption.key');

    const first = await serve(args, { cwd, env });
    expect(first.listening.encryptionKey).toEqual({ kind: 'file', path: keyFile, generated: true });
    expect(first.lines.find((line) => line.event === 'encryption_key_generated')?.path).toBe(keyFile);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, 'utf8');
    expect(key.trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const browser = new CookieJar();
    const client = await registerClient(issuer, RESOURCE);
    const before = authorizationRequest(client);
    const signedIn = await signInThroughProxy(browser, before.url);
    const { claims } = await redeem(client, codeOf(signedIn, client, before.state), before.verifier);
    expect(await first.stop()).toBe(0);

    const second = await serve(args, { cwd, env });
    expect(second.listening.encryptionKey).toEqual({ kind: 'file', path: keyFile, generated: false });
    expect(readFileSync(keyFile, 'utf8')).toBe(key);
    // The browser's session survived (SQLite); binding its sealed upstream tokens to the new
    // grant opens them with the reused key, without a trip to the provider.
    const visits = idp.requests.length;
    const again = authorizationRequest(client);
    const response = await approveConsent(browser, again.url); // straight back to the client
    await redeem(client, codeOf(response, client, again.state), again.verifier);
    expect(idp.requests.slice(visits).filter((request) => request.path.startsWith('/auth'))).toEqual([]);
    expect(second.lines.filter((line) => line.event === 'upstream.tokens_missing')).toEqual([]);
    expect(await second.stop()).toBe(0);

    // The upstream tokens sealed before the restart open with the key file (as an MCP server's
    // createUpstreamTokenReader sharing the store and key would read them).
    const store = await createSqliteStore({ path: join(cwd, 'cimd.sqlite') });
    try {
      const reader = createUpstreamTokenReader({
        store,
        encryptionKey: key.trim(),
        provider: oidcProvider({
          issuer: idp.issuer,
          clientId: idp.clientId,
          clientAuth: { method: 'client_secret_basic', clientSecret: idp.clientSecret ?? '' },
        }),
      });
      const tokens = await reader.getUpstreamTokens(String(claims.grant_id));
      expect(tokens.accessToken).toEqual(expect.any(String));
      expect(tokens.refreshToken).toEqual(expect.any(String));
    } finally {
      await store.close();
    }
  }, 90_000);
});

describe('behind a TLS-terminating reverse proxy', () => {
  const upstream = [
    ...['--upstream', 'oidc', '--upstream-issuer', 'https://idp.example.com'],
    ...['--upstream-client-id', 'mcp-auth'],
  ];
  const env = { CIMD_UPSTREAM_CLIENT_SECRET: 'proxy-test-secret-value' };

  it('starts with an https issuer and --trust-proxy, and believes the forwarded client address', async () => {
    const served = await serve(
      [
        ...['--port', '0', '--store', 'memory', '--resource', RESOURCE, '--log-level', 'debug'],
        ...['--issuer', 'https://auth.example.com', '--trust-proxy', ...upstream],
      ],
      { cwd: dir, env },
    );
    expect(served.listening).toMatchObject({
      issuer: 'https://auth.example.com',
      trustProxy: true,
      upstreamRedirectUri: 'https://auth.example.com/upstream/callback',
    });
    const metadata = await fetch(`${served.listening.url}/.well-known/oauth-authorization-server`, {
      headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.7', 'x-forwarded-proto': 'https' },
    });
    expect(((await metadata.json()) as { issuer: string }).issuer).toBe('https://auth.example.com');
    await expect
      .poll(() => served.lines.find((line) => line.event === 'request'))
      .toMatchObject({ path: '/.well-known/oauth-authorization-server', status: 200, client: '203.0.113.7' });
    expect(await served.stop()).toBe(0);
  }, 30_000);

  it('ignores forwarded headers without --trust-proxy', async () => {
    const served = await serve(
      ['--port', '0', '--store', 'memory', '--resource', RESOURCE, '--log-level', 'debug', ...upstream],
      { cwd: dir, env },
    );
    await fetch(`${served.listening.url}/jwks`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    await expect
      .poll(() => served.lines.find((line) => line.event === 'request'))
      .toMatchObject({ path: '/jwks', client: '127.0.0.1' });
    expect(await served.stop()).toBe(0);
  }, 30_000);
});

describe('cimd serve --upstream refuses to start (exit 2, with a message)', () => {
  const R = ['serve', '--store', 'memory', '--resource', RESOURCE];
  const oidc = ['--upstream', 'oidc', '--upstream-client-id', 'mcp-auth'];
  const secret = { CIMD_UPSTREAM_CLIENT_SECRET: 'a-client-secret-value' };

  it.each<[string, string[], Record<string, string>, RegExp]>([
    [
      'an https issuer served over plain http without --trust-proxy',
      [...R, ...oidc, '--upstream-issuer', 'https://idp.example.com', '--issuer', 'https://auth.example.com'],
      secret,
      /--issuer: https:\/\/auth\.example\.com is https, but cimd serve would listen with plain http: serve https directly with --tls-cert and --tls-key, or, behind a reverse proxy that terminates TLS, pass --trust-proxy/,
    ],
    [
      'a plain http upstream issuer off loopback',
      [...R, ...oidc, '--upstream-issuer', 'http://idp.example.com'],
      secret,
      /--upstream-issuer: http:\/\/idp\.example\.com must use https \(plain http only on a loopback host/,
    ],
    [
      'no client id',
      [...R, '--upstream', 'oidc', '--upstream-issuer', 'https://idp.example.com'],
      secret,
      /--upstream-client-id: is required with --upstream oidc/,
    ],
    [
      'no client secret',
      [...R, ...oidc, '--upstream-issuer', 'https://idp.example.com'],
      {},
      /--upstream-client-secret-file: the client secret is required with client_secret_basic: --upstream-client-secret-file <file>, or the CIMD_UPSTREAM_CLIENT_SECRET environment variable/,
    ],
    [
      'a bad encryption key',
      [...R, ...oidc, '--upstream-issuer', 'https://idp.example.com'],
      { ...secret, CIMD_ENCRYPTION_KEY: 'not-a-key-at-all' },
      /CIMD_ENCRYPTION_KEY: the encryption key must be 32 random bytes, written as base64url \(43 characters\) or 64 hex digits/,
    ],
  ])('%s', async (_name, args, env, expected) => {
    const result = await runCimd(args, { env: cleanEnv(env), cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(expected);
    expect(result.stdout).toBe('');
    for (const value of Object.values(env)) expect(result.stderr).not.toContain(value);
  });
});
