/**
 * The GitHub preset against a local server that speaks GitHub's documented OAuth endpoints and
 * REST shapes (test/helpers/github-like.ts, laid out as GitHub Enterprise Server): a full sign-in
 * through our consent; the user from `/user` with the numeric `id` as the upstream subject (a
 * renamed `login` keeps our `sub`); the e-mail from `/user/emails` when the profile shows none;
 * the user cancelling; a token endpoint error answered with HTTP 200 (`bad_verification_code`)
 * as a failed sign-in (`server_error`), not a crash; and organisation rules.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubProvider, subjectFor } from '../../../src/server/index.js';
import type { GithubLikeUser } from '../../helpers/github-like.js';
import {
  expectErrorAtClient,
  expectNotAllowedPage,
  followOnServer,
  logged,
  signIn,
  startSignIn,
  subjectOf,
  upstreamSignIn,
} from './flow.js';
import { CookieJar, type ProxyHarness, startProxyHarness } from './harness.js';

const USERS: GithubLikeUser[] = [
  {
    login: 'octo-old',
    id: 1001,
    name: 'Octo Cat',
    email: null,
    emails: [
      { email: 'octo@example.com', primary: true, verified: true, visibility: 'private' },
      { email: 'octo@old.example', primary: false, verified: true, visibility: null },
    ],
    orgs: [{ login: 'acme', id: 2001 }],
  },
  // The same account after a rename: same id, new login.
  {
    login: 'octo-new',
    id: 1001,
    name: 'Octo Cat',
    email: null,
    emails: [{ email: 'octo@example.com', primary: true, verified: true, visibility: 'private' }],
    orgs: [{ login: 'acme', id: 2001 }],
  },
  { login: 'public-pat', id: 1002, name: 'Pat', email: 'pat@public.example', orgs: [] },
  { login: 'stranger', id: 1003, orgs: [{ login: 'elsewhere', id: 2002 }] },
];

/** The session record our server keeps for `browser` (read from the store). */
async function sessionRecordOf(harness: ProxyHarness, browser: CookieJar): Promise<Record<string, unknown>> {
  const value = browser.cookies.get('cimd_session') ?? '';
  const id = createHash('sha256').update(value).digest('base64url');
  return JSON.parse((await harness.store.cacheGet(`session:${id}`)) ?? '{}') as Record<string, unknown>;
}

describe('the GitHub preset against a GitHub-like server', () => {
  let harness: ProxyHarness;
  beforeAll(async () => {
    harness = await startProxyHarness({ upstream: 'github', github: { users: USERS } });
  });
  afterAll(async () => harness?.close());

  it('MCP-AS-23 signs in after our consent; the numeric id is the subject, and a renamed login keeps our sub', async () => {
    const client = await harness.registerClient();
    const base = harness.github?.baseUrl ?? '';
    const browser = new CookieJar();
    const first = await signIn(harness, browser, client, 'octo-old');
    expect(first.started.upstream.origin + first.started.upstream.pathname).toBe(
      `${base}/login/oauth/authorize`,
    );
    expect(first.started.upstream.searchParams.get('code_challenge_method')).toBe('S256');
    expect(first.started.upstream.searchParams.get('scope')).toBe('read:user user:email');
    const sub = await subjectOf(harness, client, first.started, first.response);
    expect(sub).toBe(await subjectFor(base, '1001'));

    const renamed = await signIn(harness, new CookieJar(), client, 'octo-new');
    expect(await subjectOf(harness, client, renamed.started, renamed.response)).toBe(sub);
    const other = await signIn(harness, new CookieJar(), client, 'public-pat');
    const otherSub = await subjectOf(harness, client, other.started, other.response);
    expect(otherSub).toBe(await subjectFor(base, '1002'));
    expect(otherSub).not.toBe(sub);
  });

  it('takes the e-mail from /user/emails (primary, verified) when the profile shows none, and the public one otherwise', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const before = harness.github?.requests.filter((r) => r.path === '/api/v3/user/emails').length ?? 0;
    await signIn(harness, browser, client, 'octo-old');
    expect(await sessionRecordOf(harness, browser)).toMatchObject({
      name: 'Octo Cat',
      email: 'octo@example.com',
    });
    expect(harness.github?.requests.filter((r) => r.path === '/api/v3/user/emails').length).toBe(before + 1);

    const patBrowser = new CookieJar();
    await signIn(harness, patBrowser, client, 'public-pat');
    expect(await sessionRecordOf(harness, patBrowser)).toMatchObject({ email: 'pat@public.example' });
    expect(harness.github?.requests.filter((r) => r.path === '/api/v3/user/emails').length).toBe(before + 1);
  });

  it('the user cancelling at GitHub gives the client access_denied', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const started = await startSignIn(harness, browser, client);
    const callback = await upstreamSignIn(harness, started.upstream, undefined, true);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const response = await followOnServer(harness, browser, callback);
    expectErrorAtClient(harness, client, response, started.state, 'access_denied');
    expect(
      logged(harness, 'upstream.sign_in_failed', { provider: 'github', failure: 'access_denied' }),
    ).toHaveLength(1);
  });

  it("a token endpoint error answered with HTTP 200 (GitHub's bad_verification_code) fails the sign-in with server_error", async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const started = await startSignIn(harness, browser, client);
    const callback = await upstreamSignIn(harness, started.upstream);
    callback.searchParams.set('code', '0123456789abcdef0123');
    const response = await followOnServer(harness, browser, callback);
    expectErrorAtClient(harness, client, response, started.state, 'server_error');
    const token = harness.github?.requests.filter((r) => r.path === '/login/oauth/access_token').at(-1);
    expect(token?.body?.code).toBe('0123456789abcdef0123');
    const [line] = logged(harness, 'upstream.sign_in_failed', {
      provider: 'github',
      failure: 'server_error',
    });
    expect(line?.fields.errorCode).toBe('ERR_UPSTREAM_INVALID_RESPONSE');
    expect(String(line?.fields.reason)).toMatch(/access_token/);
  });

  it('a code already redeemed (replayed at the token endpoint) fails the same way', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const started = await startSignIn(harness, browser, client);
    const callback = await upstreamSignIn(harness, started.upstream);
    // Someone redeems the code first (it is single use at GitHub).
    const stolen = await fetch(`${harness.github?.baseUrl}/login/oauth/access_token`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: harness.github?.clientId ?? '',
        client_secret: harness.github?.clientSecret ?? '',
        code: callback.searchParams.get('code') ?? '',
      }),
    });
    expect(((await stolen.json()) as { error?: string }).error).toBe('bad_verification_code');
    const response = await followOnServer(harness, browser, callback);
    expectErrorAtClient(harness, client, response, started.state, 'server_error');
  });
});

describe('GitHub organisations', () => {
  let required: ProxyHarness;
  let allowList: ProxyHarness;
  beforeAll(async () => {
    [required, allowList] = await Promise.all([
      startProxyHarness({
        upstream: 'github',
        github: { users: USERS },
        provider: ({ clientId, clientSecret, issuer }) =>
          githubProvider({
            enterpriseUrl: issuer,
            clientId,
            clientAuth: { method: 'client_secret_post', clientSecret },
            requiredOrganizations: ['ACME'],
            timeoutMs: 3000,
          }),
      }),
      startProxyHarness({
        upstream: 'github',
        github: { users: USERS },
        authenticator: { allow: { organizations: ['Acme'], users: ['public-pat'] } },
      }),
    ]);
  });
  afterAll(async () => {
    await required?.close();
    await allowList?.close();
  });

  it('requiredOrganizations asks for read:org, admits a member and refuses a non-member with the 403 page', async () => {
    const client = await required.registerClient();
    const member = await signIn(required, new CookieJar(), client, 'octo-old');
    expect(member.started.upstream.searchParams.get('scope')).toBe('read:user user:email read:org');
    expect(await subjectOf(required, client, member.started, member.response)).toMatch(/^u_/);
    const outsider = await signIn(required, new CookieJar(), client, 'public-pat');
    await expectNotAllowedPage(required, client, outsider.response, outsider.started.state);
    const [line] = logged(required, 'upstream.sign_in_failed', { failure: 'user_not_allowed' });
    expect(line?.fields.errorCode).toBe('ERR_UPSTREAM_USER_NOT_ALLOWED');
    expect(String(line?.fields.reason)).toContain('public-pat is not a member of ACME');
  });

  it('allow.organizations asks for read:org and admits a member; another list admits a non-member (any list); others are refused', async () => {
    const client = await allowList.registerClient();
    const member = await signIn(allowList, new CookieJar(), client, 'octo-old');
    expect(member.started.upstream.searchParams.get('scope')).toBe('read:user user:email read:org');
    expect(await subjectOf(allowList, client, member.started, member.response)).toMatch(/^u_/);
    const listedUser = await signIn(allowList, new CookieJar(), client, 'public-pat');
    expect(await subjectOf(allowList, client, listedUser.started, listedUser.response)).toMatch(/^u_/);
    const outsider = await signIn(allowList, new CookieJar(), client, 'stranger');
    await expectNotAllowedPage(allowList, client, outsider.response, outsider.started.state);
    expect(allowList.github?.requests.filter((r) => r.path === '/api/v3/user/orgs')).toHaveLength(3);
  });
});
