/**
 * The generic OAuth 2 + userinfo provider (`oauth2Provider`, `cimd serve --upstream oauth2`)
 * against a local server that speaks plain OAuth 2 and a JSON user endpoint (the GitHub-like
 * server's documented endpoints, used here as "any OAuth 2 provider"): the sign-in completes, the
 * user's stable id is taken from the configured field, and a userinfo answer without it is refused.
 */
import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { oauth2Provider, subjectFor } from '../../../src/server/index.js';
import { CookieJar, type ProxyHarness, signInThroughProxy, startProxyHarness } from './harness.js';

let harness: ProxyHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function generic(subjectField: string) {
  return ({ clientId, clientSecret, issuer }: { clientId: string; clientSecret: string; issuer: string }) =>
    oauth2Provider({
      issuer,
      authorizationEndpoint: `${issuer}/login/oauth/authorize`,
      tokenEndpoint: `${issuer}/login/oauth/access_token`,
      userinfoEndpoint: `${issuer}/api/v3/user`,
      scopes: ['read:user'],
      subjectField,
      clientId,
      clientAuth: { method: 'client_secret_post', clientSecret },
      timeoutMs: 3000,
    });
}

describe('plain OAuth 2 with a userinfo endpoint', () => {
  it('signs in; our sub comes from (issuer, the configured subject field)', async () => {
    harness = await startProxyHarness({ upstream: 'github', provider: generic('id') });
    const client = await harness.registerClient();
    const { url, verifier } = harness.authorizationUrl(client);
    const final = await signInThroughProxy(new CookieJar(), url);
    expect(final.status).toBe(303);
    const code = new URL(final.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const tokens = (await (await harness.redeem(client, code, verifier)).json()) as { access_token: string };
    const user = harness.github?.requests.find((request) => request.path === '/api/v3/user');
    expect(user?.authorization).toMatch(/^Bearer /);
    expect(decodeJwt(tokens.access_token).sub).toBe(await subjectFor(harness.github?.baseUrl ?? '', '1001'));
  });

  it('a userinfo answer without the subject field is refused (server_error), never a user without an id', async () => {
    harness = await startProxyHarness({ upstream: 'github', provider: generic('sub') });
    const client = await harness.registerClient();
    const { url } = harness.authorizationUrl(client);
    const final = await signInThroughProxy(new CookieJar(), url);
    expect(final.status).toBe(303);
    const query = new URL(final.headers.get('location') ?? '').searchParams;
    expect(query.get('code')).toBeNull();
    expect(query.get('error')).toBe('server_error');
  });
});
