/**
 * `cimd serve --upstream …`, as the built bin: the OAuth proxy in front of a real OpenID provider
 * (oidc-provider, `startUpstreamIdp`) and of the GitHub-like server, walked by a cookie-jar
 * browser (`signInThroughProxy`) from the authorization request to an access token; the redirect
 * URI to register, on the `listening` line and on stderr; the client secret nowhere in the output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GithubLike, startGithubLike } from '../helpers/github-like.js';
import { requireBuiltBin } from '../helpers/run-cli.js';
import { authorizationRequest, codeOf, redeem, registerClient } from '../serve/oauth-client.js';
import { freePort, killAll, type Served, serve } from '../serve/served.js';
import { oidcFlags, useIdpForServe } from '../serve/upstreams.js';
import { CookieJar, signInThroughProxy } from '../server/upstream/harness.js';

const RESOURCE = 'http://127.0.0.1:4001/mcp';
const dir = mkdtempSync(join(tmpdir(), 'cimd-serve-upstream-'));
const upstreams: { close(): Promise<void> }[] = [];

beforeAll(() => requireBuiltBin());
afterEach(async () => {
  killAll();
  for (const upstream of upstreams.splice(0)) await upstream.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A secret file (mode 0600) holding `secret`. */
function secretFile(name: string, secret: string): string {
  const path = join(dir, name);
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return path;
}

describe('cimd serve --upstream oidc (a local OpenID provider)', () => {
  const upstream = useIdpForServe();

  it('signs a user in through the provider to an access token, with name and email on request', async () => {
    const { idp, port, issuer } = upstream;
    const secret = idp.clientSecret ?? '';
    const served = await serve(
      [
        ...['--port', String(port), '--store', 'memory', '--resource', RESOURCE],
        ...oidcFlags(idp),
        ...['--upstream-client-secret-file', secretFile('oidc-secret', secret)],
        ...['--user-claims', 'name,email', '--log-level', 'debug'],
      ],
      { cwd: dir },
    );
    const redirectUri = `${issuer}/upstream/callback`;
    expect(served.listening).toMatchObject({
      issuer,
      login: 'upstream',
      upstream: {
        provider: 'oidc',
        issuer: idp.issuer,
        clientId: idp.clientId,
        authMethod: 'client_secret_basic',
      },
      upstreamRedirectUri: redirectUri,
      encryptionKey: { kind: 'ephemeral' },
    });
    await expect
      .poll(() => served.stderr())
      .toMatch(
        new RegExp(`^Register this redirect URI at 127\\.0\\.0\\.1:\\d+ \\(oidc\\): ${redirectUri}$`, 'm'),
      );
    const warnings = served.lines.filter((line) => line.level === 'warn').map((line) => line.msg);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^DEVELOPMENT ONLY: the upstream identity provider \(http:\/\/127\.0\.0\.1:\d+\) is reached over plain http/,
        ),
        expect.stringMatching(/the encryption key is ephemeral/),
      ]),
    );

    const client = await registerClient(issuer, RESOURCE);
    const request = authorizationRequest(client);
    const response = await signInThroughProxy(new CookieJar(), request.url);
    const { claims, body } = await redeem(client, codeOf(response, client, request.state), request.verifier);
    expect(claims).toMatchObject({
      iss: issuer,
      aud: RESOURCE,
      client_id: client.clientId,
      name: 'Demo User',
      email: 'demo-user@example.com',
    });
    expect(claims.sub).toMatch(/^u_[A-Za-z0-9_-]{43}$/);
    expect(body.refresh_token).toEqual(expect.any(String));
    expect(served.lines.some((line) => line.event === 'upstream.sign_in_started')).toBe(true);

    expect(await served.stop()).toBe(0);
    const output = `${JSON.stringify(served.lines)}${served.stderr()}`;
    expect(output).not.toContain(secret);
    expect(output).not.toContain(String(body.access_token));
  }, 60_000);
});

/**
 * `cimd serve --upstream github` in front of a new GitHub-like server, admitting members of
 * `org`, with the secret from CIMD_UPSTREAM_CLIENT_SECRET.
 */
async function serveGithub(org: string): Promise<{ issuer: string; github: GithubLike; served: Served }> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const github = await startGithubLike({ callbackUrl: `${issuer}/upstream/callback` });
  upstreams.push(github);
  const served = await serve(
    [
      ...['--port', String(port), '--store', 'memory', '--resource', RESOURCE],
      ...['--upstream', 'github', '--upstream-issuer', github.baseUrl],
      ...['--upstream-client-id', github.clientId, '--upstream-allow-orgs', org],
    ],
    { cwd: dir, env: { CIMD_UPSTREAM_CLIENT_SECRET: github.clientSecret } },
  );
  return { issuer, github, served };
}

describe('cimd serve --upstream github (the GitHub-like server)', () => {
  it('signs an organisation member in, with the secret from CIMD_UPSTREAM_CLIENT_SECRET', async () => {
    const { issuer, github, served } = await serveGithub('demo-org');
    expect(served.listening).toMatchObject({
      upstream: { provider: 'github', authMethod: 'client_secret_post' },
      upstreamRedirectUri: `${issuer}/upstream/callback`,
    });

    const client = await registerClient(issuer, RESOURCE);
    const request = authorizationRequest(client);
    const response = await signInThroughProxy(new CookieJar(), request.url);
    const { claims } = await redeem(client, codeOf(response, client, request.state), request.verifier);
    expect(claims.sub).toMatch(/^u_/);
    const authorize = github.requests.find((entry) => entry.path === '/login/oauth/authorize');
    expect(authorize?.query.scope?.split(' ')).toContain('read:org');
    const token = github.requests.find((entry) => entry.path === '/login/oauth/access_token');
    expect(token?.body?.client_secret).toBe(github.clientSecret);
    expect(github.requests.some((entry) => entry.path === '/api/v3/user/orgs')).toBe(true);

    expect(await served.stop()).toBe(0);
    expect(`${JSON.stringify(served.lines)}${served.stderr()}`).not.toContain(github.clientSecret);
  }, 60_000);

  it('refuses a user outside --upstream-allow-orgs: a 403 page, whose way on is access_denied', async () => {
    const { issuer } = await serveGithub('another-org');
    const client = await registerClient(issuer, RESOURCE);
    const request = authorizationRequest(client);
    const response = await signInThroughProxy(new CookieJar(), request.url);
    expect(response.status).toBe(403);
    const page = await response.text();
    expect(page).toContain('this account is not allowed to use this server');
    expect(page).toContain(`${client.redirectUri}?error=access_denied`);
    expect(page).not.toContain('code=');
  }, 60_000);
});

describe('cimd serve --demo with an upstream', () => {
  it('runs the demo (implied) with its own OpenID provider; the listening line names the redirect URI', async () => {
    const served = await serve(['--upstream-demo', '--port', '0'], { cwd: dir });
    expect(served.listening).toMatchObject({
      login: 'upstream',
      upstream: { provider: 'oidc', authMethod: 'client_secret_basic' },
      upstreamRedirectUri: `${served.listening.issuer}/upstream/callback`,
      encryptionKey: { kind: 'file' },
    });
    await expect.poll(() => served.stderr(), { timeout: 15_000 }).toContain('Press Ctrl-C to stop.');
    expect(served.stderr()).toMatch(/Upstream identity provider http:\/\/127\.0\.0\.1:\d+/);
    expect(served.stderr()).toContain('sign in as demo-user with any password');
    expect(await served.stop('SIGTERM', 10_000)).toBe(0);
  }, 60_000);

  it('--demo with a real --upstream says the redirect URI to register on stderr', async () => {
    const served = await serve(
      [
        ...['--demo', '--port', '0', '--store', 'memory', '--upstream', 'oidc'],
        ...['--upstream-issuer', 'https://idp.example.com', '--upstream-client-id', 'mcp-auth'],
      ],
      { cwd: dir, env: { CIMD_UPSTREAM_CLIENT_SECRET: 'a-client-secret-value' } },
    );
    const redirectUri = `${served.listening.issuer}/upstream/callback`;
    expect(served.listening.upstreamRedirectUri).toBe(redirectUri);
    await expect
      .poll(() => served.stderr(), { timeout: 15_000 })
      .toContain(`Register this redirect URI at idp.example.com (oidc): ${redirectUri}`);
    expect(await served.stop('SIGTERM', 10_000)).toBe(0);
  }, 60_000);
});
