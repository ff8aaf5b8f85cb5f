/**
 * Browser sessions of the OAuth proxy against a real OpenID provider: `prompt=login` forces a new
 * upstream sign-in even with a session, `prompt=none` without one is `login_required` at once,
 * `/logout` (a page on GET; POST only from our own origin) ends the session and clears its
 * cookie, and the session and sign-in cookies carry the attributes they must on an http loopback
 * issuer (the https `__Host-` form is pinned in test/server/login/session.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  codeAtClient,
  expectErrorAtClient,
  followOnServer,
  logged,
  redeemTokens,
  signIn,
  startSignIn,
  upstreamAuthRequests,
  upstreamSignIn,
} from './flow.js';
import { CookieJar, consentFormOf, type ProxyHarness, startProxyHarness } from './harness.js';

const SESSION_COOKIE = 'cimd_session';

/** The attributes of a Set-Cookie line, lower-cased names. */
function attributesOf(line: string): Map<string, string> {
  const [, ...parts] = line.split(';');
  return new Map(
    parts.map((part) => {
      const [name = '', value = ''] = part.trim().split('=');
      return [name.toLowerCase(), value];
    }),
  );
}

describe('sessions of the OAuth proxy', () => {
  let harness: ProxyHarness;
  beforeAll(async () => {
    harness = await startProxyHarness();
  });
  afterAll(async () => harness?.close());

  it('the session and sign-in cookies are HttpOnly, SameSite=Lax, Path=/, bounded by Max-Age (no Secure on http loopback)', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const request = harness.authorizationUrl(client);
    const page = await browser.fetch(request.url);
    const form = consentFormOf(await page.text());
    const approved = await browser.fetch(new URL(form.action, harness.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: harness.issuer },
      body: form.body,
    });
    const binding = approved.headers.getSetCookie().find((line) => line.startsWith('cimd_up_'));
    expect(binding).toBeDefined();
    const bindingAttributes = attributesOf(binding ?? '');
    expect(bindingAttributes.has('httponly')).toBe(true);
    expect(bindingAttributes.get('samesite')).toBe('Lax');
    expect(bindingAttributes.get('path')).toBe('/');
    expect(Number(bindingAttributes.get('max-age'))).toBe(600);
    expect(bindingAttributes.has('secure')).toBe(false);

    const callback = await upstreamSignIn(harness, new URL(approved.headers.get('location') ?? ''));
    const signedIn = await browser.fetch(callback);
    expect(signedIn.status).toBe(303);
    const lines = signedIn.headers.getSetCookie();
    const session = lines.find((line) => line.startsWith(`${SESSION_COOKIE}=`));
    expect(session).toMatch(/^cimd_session=[A-Za-z0-9_-]{43};/);
    const attributes = attributesOf(session ?? '');
    expect(attributes.has('httponly')).toBe(true);
    expect(attributes.get('samesite')).toBe('Lax');
    expect(attributes.get('path')).toBe('/');
    expect(attributes.has('domain')).toBe(false);
    expect(attributes.has('secure')).toBe(false);
    expect(Number(attributes.get('max-age'))).toBe(43_200);
    // The binding cookie is removed by the callback.
    expect(
      lines.some((line) => line.startsWith(binding?.split('=')[0] ?? '?') && /max-age=0/i.test(line)),
    ).toBe(true);
  });

  it('prompt=none without a session is login_required at once: no page, nothing sent upstream', async () => {
    const client = await harness.registerClient();
    const before = harness.idp?.requests.length;
    const request = harness.authorizationUrl(client, { prompt: 'none' });
    const response = await new CookieJar().fetch(request.url);
    expectErrorAtClient(harness, client, response, request.state, 'login_required');
    expect(harness.idp?.requests.length).toBe(before);
    expect(
      logged(harness, 'authorization.refused', { clientId: client.clientId, error: 'login_required' }),
    ).toHaveLength(1);
  });

  it('prompt=login forces a new upstream sign-in (prompt=login sent upstream) even with a session', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const first = await signIn(harness, browser, client);
    const firstCode = codeAtClient(harness, client, first.response, first.started.state);
    const firstSession = browser.cookies.get(SESSION_COOKIE);
    expect(firstSession).toBeDefined();
    const authRequests = upstreamAuthRequests(harness).length;

    const started = await startSignIn(harness, browser, client, { prompt: 'login' });
    expect(started.upstream.searchParams.get('prompt')).toBe('login');
    const callback = await upstreamSignIn(harness, started.upstream);
    const response = await followOnServer(harness, browser, callback);
    const secondCode = codeAtClient(harness, client, response, started.state);
    const upstream = upstreamAuthRequests(harness);
    expect(upstream).toHaveLength(authRequests + 1);
    expect(upstream.at(-1)?.searchParams.get('prompt')).toBe('login');
    // A new session, for the same user.
    expect(browser.cookies.get(SESSION_COOKIE)).not.toBe(firstSession);
    const one = await redeemTokens(harness, client, firstCode, first.started.verifier);
    const two = await redeemTokens(harness, client, secondCode, started.verifier);
    expect(two.authInfo.extra.claims.sub).toBe(one.authInfo.extra.claims.sub);
  });

  it('prompt=login cannot be skipped: returning from the provider without signing in there is access_denied', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const first = await signIn(harness, browser, client);
    codeAtClient(harness, client, first.response, first.started.state);
    const request = harness.authorizationUrl(client, { prompt: 'login' });
    const page = await browser.fetch(request.url);
    const form = consentFormOf(await page.text());
    const interaction = form.body.get('interaction') ?? '';
    expect(interaction).not.toBe('');
    const approved = await browser.fetch(new URL(form.action, harness.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: harness.issuer },
      body: form.body,
    });
    expect(new URL(approved.headers.get('location') ?? '').searchParams.get('prompt')).toBe('login');
    // Straight back to the return URL with the old session, skipping the provider.
    const skipped = await browser.fetch(`${harness.issuer}/authorize/return?interaction=${interaction}`);
    expectErrorAtClient(harness, client, skipped, request.state, 'access_denied');
    expect(
      logged(harness, 'authorization.refused', { clientId: client.clientId, reason: 'sign_in_incomplete' }),
    ).toHaveLength(1);
  });

  it('the return from the provider only finishes in the browser that approved', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const started = await startSignIn(harness, browser, client);
    const callback = await upstreamSignIn(harness, started.upstream);
    const back = await browser.fetch(callback);
    expect(back.status).toBe(303);
    const returnUrl = new URL(back.headers.get('location') ?? '', harness.issuer);
    expect(returnUrl.pathname).toBe('/authorize/return');
    // Another browser (even with a session of its own) gets a 403 page, and no code.
    const other = new CookieJar();
    await signIn(harness, other, await harness.registerClient());
    const refused = await other.fetch(returnUrl);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('location')).toBeNull();
    expect(await refused.text()).toContain('started in another browser');
    // The browser that approved still finishes, once.
    codeAtClient(harness, client, await browser.fetch(returnUrl), started.state);
    const again = await browser.fetch(returnUrl);
    expect(again.status).toBe(400);
    expect(again.headers.get('location')).toBeNull();
  });

  it('/logout: GET shows a page; a POST from another origin is refused 403; a same-origin POST ends the session and clears the cookie', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const first = await signIn(harness, browser, client);
    const code = codeAtClient(harness, client, first.response, first.started.state);
    const { authInfo } = await redeemTokens(harness, client, code, first.started.verifier);

    const page = await browser.fetch(`${harness.issuer}/logout`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Sign out');
    expect(html).toContain('Demo User');
    expect(html).toMatch(/<form method="post" action="\/logout">/);

    const crossSite = await browser.fetch(`${harness.issuer}/logout`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.getSetCookie().some((line) => line.startsWith(SESSION_COOKIE))).toBe(false);
    const stillSignedIn = await browser.fetch(harness.authorizationUrl(client).url);
    expect(await stillSignedIn.text()).toContain('Allow access');

    const sessionCookie = browser.cookies.get(SESSION_COOKIE);
    const loggedOut = await browser.fetch(`${harness.issuer}/logout`, {
      method: 'POST',
      headers: { origin: harness.issuer, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(loggedOut.status).toBe(200);
    expect(await loggedOut.text()).toContain('Signed out');
    const cleared = loggedOut.headers.getSetCookie().find((line) => line.startsWith(`${SESSION_COOKIE}=`));
    expect(cleared).toMatch(/^cimd_session=;/);
    expect(attributesOf(cleared ?? '').get('max-age')).toBe('0');
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
    expect(logged(harness, 'upstream.signed_out')).toHaveLength(1);

    // The next authorization asks for consent before sign-in again, even with the old cookie.
    const next = await browser.fetch(harness.authorizationUrl(client).url);
    expect(await next.text()).toContain('Allow and sign in');
    const replayed = await fetch(harness.authorizationUrl(client).url, {
      headers: { cookie: `${SESSION_COOKIE}=${sessionCookie}` },
      redirect: 'manual',
    });
    expect(await replayed.text()).toContain('Allow and sign in');
    const page2 = await fetch(`${harness.issuer}/logout`, {
      headers: { cookie: `${SESSION_COOKIE}=${sessionCookie}` },
    });
    expect(await page2.text()).toContain('You are not signed in here.');

    // Grants already issued keep their upstream tokens (documented: revoke them at /revoke).
    await expect(harness.authenticator.getUpstreamTokens(authInfo)).resolves.toMatchObject({
      tokenType: 'bearer',
    });
  });
});
