/**
 * One upstream sign-in, several grants (no browser needed): a user signs in once at the OpenID
 * provider (oidc-provider, which rotates refresh tokens and revokes the whole upstream grant when
 * a rotated one is used again), then approves two MCP clients from the same session here. The
 * grants share the sign-in's upstream tokens, so a refresh through one grant never leaves the
 * other with a refresh token the provider already rotated away; signing out here keeps the grants'
 * tokens; revoking a grant drops only that grant's access to them.
 *
 * The authorization server refreshes on every read here (a refresh skew longer than the upstream
 * access token's lifetime), so each read rotates the provider's refresh token.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthInfo } from '../../src/server/index.js';
import {
  approveConsent,
  CookieJar,
  type ProxyHarness,
  signInThroughProxy,
  startProxyHarness,
  type TestClient,
} from '../server/upstream/harness.js';

const EMAIL = 'demo-user@example.com';

describe('grants approved from one upstream sign-in share its refreshed tokens', () => {
  let harness: ProxyHarness;
  beforeAll(async () => {
    harness = await startProxyHarness({
      idp: { rotateRefreshTokens: true, accessTokenTtlSeconds: 3600 },
      authenticator: { refreshSkewMs: 3_700_000 },
    });
  }, 30_000);
  afterAll(async () => harness?.close());

  /** Redeems the code of a 303 to the client's callback; returns the grant's tokens and an AuthInfo. */
  async function redeemed(
    client: TestClient,
    final: Response,
    verifier: string,
  ): Promise<{ authInfo: AuthInfo; refreshToken: string }> {
    expect(final.status).toBe(303);
    const code = new URL(final.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const response = await harness.redeem(client, code, verifier);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string; refresh_token: string };
    const claims = decodeJwt(body.access_token);
    return {
      authInfo: { token: body.access_token, clientId: client.clientId, scopes: [], extra: { claims } },
      refreshToken: body.refresh_token,
    };
  }

  /** The e-mail the provider's userinfo endpoint gives for the grant's upstream access token. */
  async function userinfoEmail(authInfo: AuthInfo): Promise<{ email: string; accessToken: string }> {
    const { accessToken } = await harness.authenticator.getUpstreamTokens(authInfo);
    const response = await fetch(`${harness.idp?.issuer}/me`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(response.status).toBe(200);
    return { email: ((await response.json()) as { email: string }).email, accessToken };
  }

  async function revoke(client: TestClient, refreshToken: string): Promise<void> {
    const response = await fetch(`${harness.issuer}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken, client_id: client.clientId }),
    });
    expect(response.status).toBe(200);
  }

  it('a refresh through one grant keeps the other working; sign-out keeps both; revocation drops one', async () => {
    const browser = new CookieJar();
    const clientA = await harness.registerClient('http://127.0.0.1:9/a');
    const requestA = harness.authorizationUrl(clientA);
    const a = await redeemed(clientA, await signInThroughProxy(browser, requestA.url), requestA.verifier);

    // A's first read refreshes (and rotates) the sign-in's upstream tokens.
    const first = await userinfoEmail(a.authInfo);
    expect(first.email).toBe(EMAIL);

    // B is approved from the same session: our consent, no trip to the provider.
    const clientB = await harness.registerClient('http://127.0.0.1:9/b');
    const requestB = harness.authorizationUrl(clientB);
    const authorizeRequests = () =>
      harness.idp?.requests.filter((request) => request.path.startsWith('/auth')).length;
    const before = authorizeRequests();
    const b = await redeemed(clientB, await approveConsent(browser, requestB.url), requestB.verifier);
    expect(authorizeRequests()).toBe(before);

    // Each read rotates the provider's refresh token; every grant sees the latest one.
    const viaB = await userinfoEmail(b.authInfo);
    const viaA = await userinfoEmail(a.authInfo);
    const viaBAgain = await userinfoEmail(b.authInfo);
    expect([viaB.email, viaA.email, viaBAgain.email]).toEqual([EMAIL, EMAIL, EMAIL]);
    expect(new Set([first.accessToken, viaB.accessToken, viaA.accessToken, viaBAgain.accessToken]).size).toBe(
      4,
    );
    expect(
      harness.logs.filter((line) => line.level === 'warn' && line.fields.event === 'upstream.tokens_missing'),
    ).toEqual([]);

    // Signing out here ends the session; the grants keep the upstream tokens.
    const signOut = await browser.fetch(`${harness.issuer}/logout`, {
      method: 'POST',
      headers: { origin: harness.issuer },
    });
    expect(signOut.status).toBe(200);
    expect((await userinfoEmail(a.authInfo)).email).toBe(EMAIL);
    expect((await userinfoEmail(b.authInfo)).email).toBe(EMAIL);

    // Revoking A drops A's access only; revoking B too leaves nothing.
    await revoke(clientA, a.refreshToken);
    await expect(harness.authenticator.getUpstreamTokens(a.authInfo)).rejects.toMatchObject({
      code: 'ERR_UPSTREAM_NO_TOKENS',
    });
    expect((await userinfoEmail(b.authInfo)).email).toBe(EMAIL);
    await revoke(clientB, b.refreshToken);
    await expect(harness.authenticator.getUpstreamTokens(b.authInfo)).rejects.toMatchObject({
      code: 'ERR_UPSTREAM_NO_TOKENS',
    });
  }, 30_000);
});
