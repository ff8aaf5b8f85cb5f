/**
 * Upstream tokens kept for MCP tool code (`getUpstreamTokens`), against a real OpenID provider
 * (oidc-provider, rotating refresh tokens with reuse detection): an expired upstream access
 * token is refreshed once (also under concurrent calls) and the new one works at the provider;
 * ending the grant (an access token revoked at /revoke, a reused refresh token) drops the
 * upstream tokens; and they are stored encrypted: no value written to the store contains them, a
 * reader with another key cannot open them, and a record copied under another grant's key does not
 * open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreamTokenReader, generateEncryptionKey } from '../../../src/server/index.js';
import { createMemoryStore } from '../../../src/store/memory/memory-store.js';
import type { Store } from '../../../src/store/store.js';
import { codeAtClient, logged, redeemTokens, signIn } from './flow.js';
import { approveConsent, CookieJar, type ProxyHarness, RESOURCE, startProxyHarness } from './harness.js';

const HOUR = 3_600_000;

/** A memory store that also records every value written to its cache. */
function recordingStore(written: string[]): Store {
  const store = createMemoryStore();
  const cacheSet = store.cacheSet.bind(store);
  store.cacheSet = async (key, value, ttlMs) => {
    written.push(`${key} ${value}`);
    return cacheSet(key, value, ttlMs);
  };
  return store;
}

describe('upstream tokens of a grant (oidc-provider upstream)', () => {
  let harness: ProxyHarness;
  let offset = 0;
  const written: string[] = [];
  beforeAll(async () => {
    harness = await startProxyHarness({
      store: recordingStore(written),
      authenticator: { now: () => Date.now() + offset },
    });
  });
  afterAll(async () => harness?.close());

  async function signedInGrant(browser = new CookieJar()) {
    const client = await harness.registerClient();
    const { started, response } = await signIn(harness, browser, client);
    const code = codeAtClient(harness, client, response, started.state);
    return { client, browser, ...(await redeemTokens(harness, client, code, started.verifier)) };
  }

  const tokenRequests = () =>
    harness.idp?.requests.filter((r) => r.method === 'POST' && r.path === '/token').length;

  async function userinfo(accessToken: string): Promise<Response> {
    return fetch(`${harness.idp?.issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  }

  it('an upstream access token about to expire is refreshed once, even for concurrent calls, and the new one works', async () => {
    offset = 0;
    const { authInfo } = await signedInGrant();
    const first = await harness.authenticator.getUpstreamTokens(authInfo);
    expect(first.refreshToken).toBeDefined();
    expect(first.expiresAt).toBeGreaterThan(Date.now());
    expect((await userinfo(first.accessToken)).status).toBe(200);
    const before = tokenRequests();
    // Fresh: read as stored, nothing sent upstream.
    expect((await harness.authenticator.getUpstreamTokens(authInfo)).accessToken).toBe(first.accessToken);
    expect(tokenRequests()).toBe(before);

    offset = 2 * HOUR;
    const results = await Promise.all([1, 2, 3].map(() => harness.authenticator.getUpstreamTokens(authInfo)));
    expect(tokenRequests()).toBe((before ?? 0) + 1);
    const [next] = results;
    for (const result of results) expect(result.accessToken).toBe(next?.accessToken);
    expect(next?.accessToken).not.toBe(first.accessToken);
    expect(next?.refreshToken).toBeDefined();
    expect(next?.refreshToken).not.toBe(first.refreshToken);
    const me = await userinfo(next?.accessToken ?? '');
    expect(me.status).toBe(200);
    expect(((await me.json()) as { sub: string }).sub).toBe('demo-user');

    // The refreshed tokens were stored: back on the real clock they are read, not refreshed again.
    offset = 0;
    expect((await harness.authenticator.getUpstreamTokens(authInfo)).accessToken).toBe(next?.accessToken);
    expect(tokenRequests()).toBe((before ?? 0) + 1);
  });

  it('two grants approved in one sign-in share its tokens: a refresh through one (rotating the refresh token) serves the other', async () => {
    offset = 0;
    const browser = new CookieJar();
    const first = await signedInGrant(browser);
    // A second client approved in the same browser session: its grant is bound to the same sign-in.
    const second = await harness.registerClient('http://127.0.0.1:9/second', 'Second client');
    const request = harness.authorizationUrl(second);
    const approved = await approveConsent(browser, request.url);
    const code = codeAtClient(harness, second, approved, request.state);
    const { authInfo: secondInfo } = await redeemTokens(harness, second, code, request.verifier);
    const original = await harness.authenticator.getUpstreamTokens(first.authInfo);
    expect((await harness.authenticator.getUpstreamTokens(secondInfo)).accessToken).toBe(
      original.accessToken,
    );

    offset = 2 * HOUR;
    const refreshed = await harness.authenticator.getUpstreamTokens(first.authInfo);
    expect(refreshed.refreshToken).not.toBe(original.refreshToken);
    // The other grant reads the refreshed tokens (the providers stamp expiry on the real clock,
    // so the reads happen back on it).
    offset = 0;
    expect((await harness.authenticator.getUpstreamTokens(secondInfo)).accessToken).toBe(
      refreshed.accessToken,
    );
    // And refreshes with the rotated refresh token: a copy holding the rotated-away one would
    // be refused, and its reuse would make the provider revoke the whole upstream grant.
    offset = 2 * HOUR;
    const viaSecond = await harness.authenticator.getUpstreamTokens(secondInfo);
    expect(viaSecond.accessToken).not.toBe(refreshed.accessToken);
    expect((await userinfo(viaSecond.accessToken)).status).toBe(200);
    offset = 0;
    expect((await harness.authenticator.getUpstreamTokens(first.authInfo)).accessToken).toBe(
      viaSecond.accessToken,
    );
  });

  it('an access token revoked at /revoke ends its grant and drops the upstream tokens (ERR_UPSTREAM_NO_TOKENS)', async () => {
    offset = 0;
    const { client, body, authInfo } = await signedInGrant();
    await expect(harness.authenticator.getUpstreamTokens(authInfo)).resolves.toBeDefined();
    const revoke = await fetch(`${harness.issuer}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: body.access_token ?? '',
        token_type_hint: 'access_token',
        client_id: client.clientId,
      }),
    });
    expect(revoke.status).toBe(200);
    expect(logged(harness, 'grant_revoked', { clientId: client.clientId })).toHaveLength(1);
    await expect(harness.authenticator.getUpstreamTokens(authInfo)).rejects.toMatchObject({
      code: 'ERR_UPSTREAM_NO_TOKENS',
    });
  });

  it('MCP-AS-13 a reused refresh token ends the grant and drops the upstream tokens', async () => {
    offset = 0;
    const { client, body, authInfo } = await signedInGrant();
    const refresh = (token: string) =>
      fetch(`${harness.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: token,
          client_id: client.clientId,
          resource: RESOURCE,
        }),
      });
    const rotated = await refresh(body.refresh_token ?? '');
    expect(rotated.status).toBe(200);
    const rotatedBody = (await rotated.json()) as Record<string, string>;
    const rotatedInfo = { ...authInfo, token: rotatedBody.access_token ?? '' };
    await expect(harness.authenticator.getUpstreamTokens(rotatedInfo)).resolves.toBeDefined();
    const reused = await refresh(body.refresh_token ?? '');
    expect(reused.status).toBe(400);
    expect(((await reused.json()) as { error: string }).error).toBe('invalid_grant');
    await expect(harness.authenticator.getUpstreamTokens(authInfo)).rejects.toMatchObject({
      code: 'ERR_UPSTREAM_NO_TOKENS',
    });
  });

  it('upstream tokens are stored encrypted: never in a stored value, unreadable with another key or under another grant', async () => {
    offset = 0;
    const { authInfo } = await signedInGrant();
    const tokens = await harness.authenticator.getUpstreamTokens(authInfo);
    const secrets = [tokens.accessToken, tokens.refreshToken, tokens.idToken].filter(
      (value): value is string => value !== undefined,
    );
    expect(secrets.length).toBe(3);
    expect(written.length).toBeGreaterThan(0);
    for (const value of written) for (const secret of secrets) expect(value).not.toContain(secret);

    // A reader sharing the store and key (an MCP server's process) reads them; another key cannot.
    const provider = harness.authenticator.provider;
    const sameKey = createUpstreamTokenReader({
      store: harness.store,
      encryptionKey: harness.encryptionKey,
      provider,
    });
    expect((await sameKey.getUpstreamTokens(authInfo)).accessToken).toBe(tokens.accessToken);
    const otherKey = createUpstreamTokenReader({
      store: harness.store,
      encryptionKey: generateEncryptionKey(),
      provider,
    });
    await expect(otherKey.getUpstreamTokens(authInfo)).rejects.toMatchObject({ code: 'ERR_ENCRYPTION_KEY' });

    // The grant's record copied under another grant's key does not open there.
    const grantId = String(authInfo.extra.claims.grant_id);
    const record = await harness.store.cacheGet(`upstream-grant:${grantId}`);
    expect(record).toBeDefined();
    await harness.store.cacheSet('upstream-grant:another-grant', record ?? '', 60_000);
    await expect(sameKey.getUpstreamTokens('another-grant')).rejects.toMatchObject({
      code: 'ERR_ENCRYPTION_KEY',
    });
    // An altered record does not open either.
    const envelope = JSON.parse(record ?? '{}') as { sealed: string };
    const [version, iv, data = ''] = envelope.sealed.split('.');
    const tampered = `${version}.${iv}.${data.startsWith('A') ? 'B' : 'A'}${data.slice(1)}`;
    await harness.store.cacheSet(
      'upstream-grant:tampered-grant',
      JSON.stringify({ ...envelope, sealed: tampered }),
      60_000,
    );
    await expect(sameKey.getUpstreamTokens('tampered-grant')).rejects.toMatchObject({
      code: 'ERR_ENCRYPTION_KEY',
    });
  });
});
