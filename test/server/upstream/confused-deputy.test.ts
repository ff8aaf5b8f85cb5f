/**
 * MCP-AS-23, the confused deputy: the upstream provider sees one static client (this server) and
 * would wave every later sign-in through (its session and consent exist, `autoConsent`), so OUR
 * consent is what tells MCP clients apart. Once a user signed in through client A, client B in the
 * same browser must still get our consent page naming B (never a code), `prompt=none` for B must
 * be `consent_required`, and a remembered approval for A skips the page only where the documented
 * rule (`consent.skipWhenRemembered`, default `trusted`) allows it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeAtClient, expectErrorAtClient, logged, signIn, upstreamAuthRequests } from './flow.js';
import { approveConsent, CookieJar, type ProxyHarness, startProxyHarness } from './harness.js';

describe('MCP-AS-23 with the default consent options', () => {
  let harness: ProxyHarness;
  beforeAll(async () => {
    harness = await startProxyHarness();
  });
  afterAll(async () => harness?.close());

  it('MCP-AS-23 client B in a signed-in browser gets our consent page naming B, prompt=none is consent_required, and A is asked again', async () => {
    const clientA = await harness.registerClient('http://127.0.0.1:9/a-callback', 'Client Alpha');
    const clientB = await harness.registerClient('http://127.0.0.1:9/b-callback', 'Client Bravo');
    const browser = new CookieJar();
    const first = await signIn(harness, browser, clientA);
    codeAtClient(harness, clientA, first.response, first.started.state);
    expect(upstreamAuthRequests(harness)).toHaveLength(1);

    // B, same browser, session here and at the provider: our consent page for B, no redirect.
    const requestB = harness.authorizationUrl(clientB);
    const pageB = await browser.fetch(requestB.url);
    expect(pageB.status).toBe(200);
    expect(pageB.headers.get('location')).toBeNull();
    const htmlB = await pageB.text();
    expect(htmlB).toContain(clientB.clientId);
    expect(htmlB).toContain('Client Bravo');
    expect(htmlB).not.toContain(clientA.clientId);
    expect(htmlB).toContain('Allow access');
    expect(htmlB).toContain('Demo User');
    expect(
      logged(harness, 'consent.shown', { clientId: clientB.clientId, reason: 'first_time' }),
    ).toHaveLength(1);

    // prompt=none for B: consent_required, never a code.
    const silentB = harness.authorizationUrl(clientB, { prompt: 'none' });
    const silent = await browser.fetch(silentB.url);
    expectErrorAtClient(harness, clientB, silent, silentB.state, 'consent_required');

    // Approving B issues B's code at once: the session here signs B's user in, no trip upstream.
    const approved = await approveConsent(browser, harness.authorizationUrl(clientB).url);
    expect(approved.status).toBe(303);
    expect(new URL(approved.headers.get('location') ?? '').searchParams.has('code')).toBe(true);
    expect(upstreamAuthRequests(harness)).toHaveLength(1);

    // A again: remembered, but A is an untrusted client with a loopback redirect, so the default
    // rule (skipWhenRemembered 'trusted') shows the page again (for the signed-in user, no upstream sign-in).
    const againA = await browser.fetch(harness.authorizationUrl(clientA).url);
    expect(againA.status).toBe(200);
    const htmlA = await againA.text();
    expect(htmlA).toContain(clientA.clientId);
    expect(htmlA).toContain('Allow access');
    expect(
      logged(harness, 'consent.shown', {
        clientId: clientA.clientId,
        reason: 'remembered_consent_not_applicable',
      }),
    ).toHaveLength(1);
    expect(upstreamAuthRequests(harness)).toHaveLength(1);
  });

  it('MCP-AS-23 a signed-in browser denying B gives B access_denied and no code', async () => {
    const clientA = await harness.registerClient('http://127.0.0.1:9/a-callback', 'Client Alpha');
    const clientB = await harness.registerClient('http://127.0.0.1:9/b-callback', 'Client Bravo');
    const browser = new CookieJar();
    const first = await signIn(harness, browser, clientA);
    codeAtClient(harness, clientA, first.response, first.started.state);
    const requestB = harness.authorizationUrl(clientB);
    const denied = await approveConsent(browser, requestB.url, 'deny');
    expectErrorAtClient(harness, clientB, denied, requestB.state, 'access_denied');
  });
});

describe("MCP-AS-23 with consent.skipWhenRemembered 'non-loopback'", () => {
  let harness: ProxyHarness;
  beforeAll(async () => {
    harness = await startProxyHarness({ server: { consent: { skipWhenRemembered: 'non-loopback' } } });
  });
  afterAll(async () => harness?.close());

  it('a remembered approval lets A (web redirect) through without our page or a second upstream sign-in; B still gets the page', async () => {
    const clientA = await harness.registerClient('https://a.example.com/callback', 'Client Alpha');
    const clientB = await harness.registerClient('https://b.example.com/callback', 'Client Bravo');
    const browser = new CookieJar();
    const first = await signIn(harness, browser, clientA);
    codeAtClient(harness, clientA, first.response, first.started.state);
    expect(upstreamAuthRequests(harness)).toHaveLength(1);

    const again = harness.authorizationUrl(clientA);
    const response = await browser.fetch(again.url);
    codeAtClient(harness, clientA, response, again.state);
    expect(
      logged(harness, 'consent.skipped', { clientId: clientA.clientId, reason: 'remembered' }),
    ).toHaveLength(1);
    expect(upstreamAuthRequests(harness)).toHaveLength(1);

    // prompt=consent always asks.
    const forced = await browser.fetch(harness.authorizationUrl(clientA, { prompt: 'consent' }).url);
    expect(forced.status).toBe(200);

    // The remembered approval is A's alone.
    const pageB = await browser.fetch(harness.authorizationUrl(clientB).url);
    expect(pageB.status).toBe(200);
    expect(await pageB.text()).toContain(clientB.clientId);

    // Another browser (no session here) gets the consent-before-sign-in page, remembered or not.
    const fresh = await new CookieJar().fetch(harness.authorizationUrl(clientA).url);
    expect(fresh.status).toBe(200);
    expect(await fresh.text()).toContain('Allow and sign in');
    expect(upstreamAuthRequests(harness)).toHaveLength(1);
  });
});
