/**
 * Error paths of the OAuth proxy against a real OpenID provider (oidc-provider on loopback). For
 * every failure the MCP client gets a proper OAuth error at its validated redirect URI (303 with
 * `error`, `state` and `iss`), or, where no safe redirect exists (an unknown, replayed or
 * foreign `state` at our callback), our error page (4xx, never 5xx); never a code; and a log line
 * says why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oidcProvider } from '../../../src/server/index.js';
import {
  atClient,
  expectErrorAtClient,
  expectErrorPage,
  followOnServer,
  logged,
  startSignIn,
  upstreamSignIn,
} from './flow.js';
import { approveConsent, CookieJar, type ProxyHarness, startProxyHarness } from './harness.js';

describe('sign-in errors at the upstream callback (oidc-provider)', () => {
  let harness: ProxyHarness;
  beforeAll(async () => {
    harness = await startProxyHarness();
  });
  afterAll(async () => harness?.close());

  it('MCP-AS-23 the user cancelling at the provider gives the client access_denied, no code', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const started = await startSignIn(harness, browser, client);
    const callback = await upstreamSignIn(harness, started.upstream, 'demo-user', true);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const response = await followOnServer(harness, browser, callback);
    expectErrorAtClient(harness, client, response, started.state, 'access_denied');
    expect(
      logged(harness, 'upstream.sign_in_failed', {
        failure: 'access_denied',
        upstreamError: 'access_denied',
      }),
    ).toHaveLength(1);
    expect(
      logged(harness, 'authorization.refused', {
        reason: 'sign_in_access_denied',
        clientId: client.clientId,
      }),
    ).toHaveLength(1);
    // No session was started: a new authorization shows the consent-before-sign-in page again.
    const again = await browser.fetch(harness.authorizationUrl(client).url);
    expect(await again.text()).toContain('Allow and sign in');
  });

  it('a callback with an unknown state is refused on our error page (no redirect anywhere)', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const started = await startSignIn(harness, browser, client);
    const callback = await upstreamSignIn(harness, started.upstream);
    const forged = new URL(callback);
    forged.searchParams.set('state', 'A'.repeat(43));
    const page = await expectErrorPage(await browser.fetch(forged));
    expect(page).toContain('unknown or has expired');
    const missing = new URL(callback);
    missing.searchParams.delete('state');
    await expectErrorPage(await browser.fetch(missing));
    expect(
      logged(harness, 'upstream.callback_refused', { reason: 'state_unknown' }).length,
    ).toBeGreaterThanOrEqual(2);
  });

  it('a replayed callback is refused the second time, and no second code is issued', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const started = await startSignIn(harness, browser, client);
    const callback = await upstreamSignIn(harness, started.upstream);
    const first = await followOnServer(harness, browser, callback);
    const code = atClient(harness, client, first, started.state).get('code');
    expect(code).toBeTruthy();
    const codesBefore = logged(harness, 'authorization.signed_in').length;
    const replay = await browser.fetch(callback);
    const page = await expectErrorPage(replay);
    expect(page).toContain('already completed');
    // Replayed in another browser too: still refused, as replayed.
    await expectErrorPage(await new CookieJar().fetch(callback));
    expect(logged(harness, 'upstream.callback_refused', { reason: 'state_replayed' })).toHaveLength(2);
    expect(logged(harness, 'authorization.signed_in')).toHaveLength(codesBefore);
  });

  it('a callback delivered to another browser is refused (login CSRF), and is used up', async () => {
    const client = await harness.registerClient();
    const victim = new CookieJar();
    const attacker = new CookieJar();
    const started = await startSignIn(harness, attacker, client);
    const callback = await upstreamSignIn(harness, started.upstream);
    const page = await expectErrorPage(await victim.fetch(callback));
    expect(page).toContain('started in another browser');
    expect([...victim.cookies.keys()].some((name) => name.includes('session'))).toBe(false);
    expect(logged(harness, 'upstream.callback_refused', { reason: 'browser_mismatch' })).toHaveLength(1);
    // The browser that started it cannot finish it afterwards either.
    await expectErrorPage(await attacker.fetch(callback));
  });

  it('RFC 9207: a callback whose iss is not the provider is refused; the client gets server_error', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const started = await startSignIn(harness, browser, client);
    const callback = await upstreamSignIn(harness, started.upstream);
    expect(callback.searchParams.get('iss')).toBe(harness.idp?.issuer);
    const tokenRequests = harness.idp?.requests.filter((r) => r.path === '/token').length;
    callback.searchParams.set('iss', 'https://attacker.example');
    const response = await followOnServer(harness, browser, callback);
    expectErrorAtClient(harness, client, response, started.state, 'server_error');
    const [line] = logged(harness, 'upstream.sign_in_failed', { failure: 'server_error' }).slice(-1);
    expect(line?.fields.errorCode).toBe('ERR_UPSTREAM_INVALID_RESPONSE');
    expect(String(line?.fields.reason)).toMatch(/iss/);
    // The code was never redeemed.
    expect(harness.idp?.requests.filter((r) => r.path === '/token').length).toBe(tokenRequests);
  });

  it('a callback without iss from a provider that advertises RFC 9207 is refused', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const started = await startSignIn(harness, browser, client);
    const callback = await upstreamSignIn(harness, started.upstream);
    callback.searchParams.delete('iss');
    const response = await followOnServer(harness, browser, callback);
    expectErrorAtClient(harness, client, response, started.state, 'server_error');
  });

  it("an ID token whose nonce is not the one we sent is refused (the authorization request's nonce rewritten)", async () => {
    // The provider binds the nonce of the authorization request into the ID token; changing it on
    // the way (as an attacker injecting a response made for another request would) makes the
    // ID token carry a nonce our pending sign-in does not expect. PKCE and state still match,
    // so the nonce check alone refuses it.
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const started = await startSignIn(harness, browser, client);
    expect(started.upstream.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    started.upstream.searchParams.set('nonce', 'a-nonce-of-another-sign-in');
    const callback = await upstreamSignIn(harness, started.upstream);
    const response = await followOnServer(harness, browser, callback);
    expectErrorAtClient(harness, client, response, started.state, 'server_error');
    const [line] = logged(harness, 'upstream.sign_in_failed', { failure: 'server_error' }).slice(-1);
    expect(String(line?.fields.reason)).toMatch(/nonce/);
  });
});

describe('an unavailable or slow provider', () => {
  let harness: ProxyHarness;
  beforeAll(async () => {
    harness = await startProxyHarness({
      provider: ({ clientId, clientSecret, issuer }) =>
        oidcProvider({
          issuer,
          clientId,
          clientAuth: { method: 'client_secret_basic', clientSecret },
          timeoutMs: 1000,
        }),
    });
  });
  afterAll(async () => harness?.close());

  it('a provider that is down when the callback comes gives temporarily_unavailable', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const started = await startSignIn(harness, browser, client);
    const callback = await upstreamSignIn(harness, started.upstream);
    harness.idp?.setDown(true);
    try {
      const response = await followOnServer(harness, browser, callback);
      expectErrorAtClient(harness, client, response, started.state, 'temporarily_unavailable');
    } finally {
      harness.idp?.setDown(false);
    }
    const [line] = logged(harness, 'upstream.sign_in_failed', { failure: 'temporarily_unavailable' }).slice(
      -1,
    );
    expect(line?.fields.errorCode).toBe('ERR_UPSTREAM_UNAVAILABLE');
  });

  it('a provider whose connections are reset gives temporarily_unavailable', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const started = await startSignIn(harness, browser, client);
    const callback = await upstreamSignIn(harness, started.upstream);
    harness.idp?.setDown(true, 'reset');
    try {
      const response = await followOnServer(harness, browser, callback);
      expectErrorAtClient(harness, client, response, started.state, 'temporarily_unavailable');
    } finally {
      harness.idp?.setDown(false);
    }
  });

  it('a provider slower than timeoutMs gives temporarily_unavailable in bounded time; /health keeps answering', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const started = await startSignIn(harness, browser, client);
    const callback = await upstreamSignIn(harness, started.upstream);
    harness.idp?.setDelay(8000);
    try {
      const began = Date.now();
      const pending = followOnServer(harness, browser, callback);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const healthStarted = Date.now();
      const health = await fetch(`${harness.issuer}/health`);
      expect(health.status).toBe(200);
      expect(Date.now() - healthStarted).toBeLessThan(1000);
      const response = await pending;
      expect(Date.now() - began).toBeLessThan(5000);
      expectErrorAtClient(harness, client, response, started.state, 'temporarily_unavailable');
    } finally {
      harness.idp?.setDelay(0);
    }
    expect(
      logged(harness, 'upstream.sign_in_failed', { failure: 'temporarily_unavailable' }).length,
    ).toBeGreaterThan(0);
  });
});

describe('a provider that is down before the first sign-in (discovery fails)', () => {
  let harness: ProxyHarness;
  beforeAll(async () => {
    harness = await startProxyHarness();
  });
  afterAll(async () => harness?.close());

  it('after our consent, the client gets temporarily_unavailable (never a 5xx), and the next try works', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    harness.idp?.setDown(true);
    const request = harness.authorizationUrl(client);
    let response: Response;
    try {
      const approved = await approveConsent(browser, request.url);
      expect(approved.status).toBe(303);
      response = await followOnServer(harness, browser, approved.headers.get('location') ?? '');
    } finally {
      harness.idp?.setDown(false);
    }
    expect(
      logged(harness, 'upstream.sign_in_failed', { errorCode: 'ERR_UPSTREAM_UNAVAILABLE' }),
    ).toHaveLength(1);
    expectErrorAtClient(harness, client, response, request.state, 'temporarily_unavailable');
    expect(logged(harness, 'authorization.refused', { clientId: client.clientId }).length).toBeGreaterThan(0);
    // The provider is back: discovery is tried again.
    const again = await startSignIn(harness, new CookieJar(), client);
    expect(again.upstream.origin).toBe(harness.idp?.issuer);
  });
});
