/**
 * The ID token of the code exchange is verified in full, not just decoded. The provider is a real
 * oidc-provider on loopback; its token response is altered on the way to our server (as a
 * compromised network path or a malicious token endpoint would): the `id_token` member is
 * replaced before openid-client reads it. What each case proves:
 *
 * - forged: the claims are exactly the provider's (right `iss`, `aud`, `nonce`, fresh `exp`), the
 *   header names the provider's `kid`, but the signature is by an attacker's key: only the
 *   signature check against the provider's JWKS can refuse it (the non-repudiation check our
 *   `oidcProvider` turns on; without it openid-client would trust the TLS channel alone).
 * - expired: the provider's claims with `iat`/`exp` an hour in the past (beyond the 30 s clock
 *   tolerance). We cannot re-sign with the provider's key, so this token is also badly signed;
 *   openid-client checks the claims BEFORE the signature, and the logged reason shows the `exp`
 *   check is the one that refused it.
 * - wrong audience: the provider's claims with `aud` of another client, refused on `aud`.
 *
 * In every case the MCP client gets `server_error` at its redirect URI, no session starts here,
 * and the log says which check failed.
 */
import { decodeJwt, decodeProtectedHeader, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  codeAtClient,
  expectErrorAtClient,
  followOnServer,
  logged,
  startSignIn,
  upstreamSignIn,
} from './flow.js';
import { CookieJar, type ProxyHarness, startProxyHarness } from './harness.js';

type Rewrite = (claims: JWTPayload) => JWTPayload;

describe('ID token verification at the code exchange (oidc-provider, response altered in transit)', () => {
  let harness: ProxyHarness;
  let attackerKey: CryptoKey;
  let rewrite: Rewrite | undefined;
  const realFetch = globalThis.fetch;

  /** Replaces the id_token of token responses from the provider while `rewrite` is set. */
  async function intercepting(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const response = await realFetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const change = rewrite;
    if (change === undefined || url !== `${harness.idp?.issuer}/token` || response.status !== 200)
      return response;
    const body = (await response.json()) as Record<string, unknown>;
    const original = String(body.id_token);
    const header = decodeProtectedHeader(original);
    body.id_token = await new SignJWT(change(decodeJwt(original)))
      .setProtectedHeader({
        alg: header.alg ?? 'RS256',
        ...(header.kid === undefined ? {} : { kid: header.kid }),
      })
      .sign(attackerKey);
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    return new Response(JSON.stringify(body), { status: 200, headers });
  }

  beforeAll(async () => {
    harness = await startProxyHarness();
    attackerKey = (await generateKeyPair('RS256')).privateKey;
    vi.stubGlobal('fetch', intercepting);
  });
  afterAll(async () => {
    vi.unstubAllGlobals();
    await harness?.close();
  });

  async function attempt(change: Rewrite | undefined): Promise<{
    response: Response;
    browser: CookieJar;
    state: string;
    client: Awaited<ReturnType<ProxyHarness['registerClient']>>;
  }> {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const started = await startSignIn(harness, browser, client);
    const callback = await upstreamSignIn(harness, started.upstream);
    rewrite = change;
    try {
      return {
        response: await followOnServer(harness, browser, callback),
        browser,
        state: started.state,
        client,
      };
    } finally {
      rewrite = undefined;
    }
  }

  function lastFailure(): string {
    const [line] = logged(harness, 'upstream.sign_in_failed').slice(-1);
    expect(line?.fields.errorCode).toBe('ERR_UPSTREAM_INVALID_RESPONSE');
    return String(line?.fields.reason);
  }

  const hasSession = (browser: CookieJar) =>
    [...browser.cookies.keys()].some((name) => name.includes('session'));

  it('control: the response passed through the interception unaltered signs in', async () => {
    const { response, browser, state, client } = await attempt(undefined);
    codeAtClient(harness, client, response, state);
    expect(hasSession(browser)).toBe(true);
  });

  it('a forged ID token (provider claims and kid, attacker signature) is refused on its signature', async () => {
    const { response, browser, state, client } = await attempt((claims) => claims);
    expectErrorAtClient(harness, client, response, state, 'server_error');
    expect(hasSession(browser)).toBe(false);
    const reason = lastFailure();
    expect(reason).toMatch(/signature/i);
    expect(reason).not.toMatch(/"(exp|aud|iss|nonce)"/);
  });

  it('an expired ID token is refused on exp', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { response, browser, state, client } = await attempt((claims) => ({
      ...claims,
      iat: now - 7200,
      exp: now - 3600,
    }));
    expectErrorAtClient(harness, client, response, state, 'server_error');
    expect(hasSession(browser)).toBe(false);
    expect(lastFailure()).toMatch(/"exp".*expiration is past/);
  });

  it('an ID token for another audience is refused on aud', async () => {
    const { response, browser, state, client } = await attempt((claims) => ({
      ...claims,
      aud: 'another-client',
    }));
    expectErrorAtClient(harness, client, response, state, 'server_error');
    expect(hasSession(browser)).toBe(false);
    expect(lastFailure()).toMatch(/"aud"/);
  });
});
