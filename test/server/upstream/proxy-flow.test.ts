/**
 * The OAuth proxy end to end over HTTP against a real OpenID provider (oidc-provider): our consent
 * first (MCP-AS-23), then the provider's login, then our code; the token's `sub` is derived from
 * (issuer, subject); the upstream tokens stay on the server and reach tool code only through
 * `getUpstreamTokens`; revoking the grant drops them.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subjectFor } from '../../../src/server/index.js';
import { CookieJar, type ProxyHarness, signInThroughProxy, startProxyHarness } from './harness.js';

describe('OAuth proxy in front of an OpenID Connect provider', () => {
  let harness: ProxyHarness;
  beforeAll(async () => {
    harness = await startProxyHarness();
  }, 30_000);
  afterAll(async () => harness?.close());

  it('MCP-AS-23 shows our consent before any redirect to the provider, then issues our own tokens', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const { url, verifier, state } = harness.authorizationUrl(client);
    const first = await browser.fetch(url);
    expect(first.status).toBe(200);
    const page = await first.text();
    expect(page).toContain('Allow and sign in');
    expect(harness.idp?.requests.some((request) => request.path.startsWith('/auth'))).toBe(false);

    const final = await signInThroughProxy(browser, url);
    expect(final.status).toBe(303);
    const callback = new URL(final.headers.get('location') ?? '');
    expect(callback.origin + callback.pathname).toBe(client.redirectUri);
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('iss')).toBe(harness.issuer);
    const code = callback.searchParams.get('code') ?? '';
    const tokenResponse = await harness.redeem(client, code, verifier);
    expect(tokenResponse.status).toBe(200);
    const body = (await tokenResponse.json()) as Record<string, string>;
    const claims = decodeJwt(body.access_token ?? '');
    expect(claims.iss).toBe(harness.issuer);
    expect(claims.sub).toBe(await subjectFor(harness.idp?.issuer ?? '', 'demo-user'));
    expect(claims.sub).not.toContain('@');
    // No upstream token in what the client got.
    expect(JSON.stringify(body)).not.toMatch(/demo-user@example\.com/);

    const authInfo = {
      token: body.access_token ?? '',
      clientId: client.clientId,
      scopes: [],
      extra: { claims },
    };
    const upstream = await harness.authenticator.getUpstreamTokens(authInfo);
    expect(upstream.accessToken).not.toBe(body.access_token);
    const userinfo = await fetch(`${harness.idp?.issuer}/me`, {
      headers: { authorization: `Bearer ${upstream.accessToken}` },
    });
    expect(userinfo.status).toBe(200);
    expect(((await userinfo.json()) as { email: string }).email).toBe('demo-user@example.com');

    // Revoking our refresh token drops the upstream tokens.
    const revoke = await fetch(`${harness.issuer}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: body.refresh_token ?? '', client_id: client.clientId }),
    });
    expect(revoke.status).toBe(200);
    await expect(harness.authenticator.getUpstreamTokens(authInfo)).rejects.toMatchObject({
      code: 'ERR_UPSTREAM_NO_TOKENS',
    });
  }, 30_000);
});
