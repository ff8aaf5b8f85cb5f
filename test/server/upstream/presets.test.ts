/**
 * The Google and Entra ID presets against a real OpenID provider standing in for them (their
 * issuer is an option for exactly this): each signs a user in end to end, Google sends
 * `access_type=offline` (refresh tokens) and `hd`, and a required hosted domain is checked on the
 * VERIFIED ID token (the `hd` parameter alone is only a hint), so an account without it is
 * refused; Entra ID refuses the multi-tenant endpoints.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { entraIdProvider, entraIssuer, googleProvider } from '../../../src/server/index.js';
import { CookieJar, type ProxyHarness, signInThroughProxy, startProxyHarness } from './harness.js';

let harness: ProxyHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function finalQuery(h: ProxyHarness): Promise<URLSearchParams> {
  const client = await h.registerClient();
  const { url } = h.authorizationUrl(client);
  const final = await signInThroughProxy(new CookieJar(), url);
  expect(final.status).toBe(303);
  return new URL(final.headers.get('location') ?? '').searchParams;
}

describe('Google preset', () => {
  it('signs in, asking for offline access (a refresh token) with openid email profile', async () => {
    harness = await startProxyHarness({
      provider: ({ clientId, clientSecret, issuer }) =>
        googleProvider({ issuer, clientId, clientAuth: { method: 'client_secret_basic', clientSecret } }),
    });
    expect((await finalQuery(harness)).get('code')).toBeTruthy();
    const auth = harness.idp?.requests.find((request) => request.path.startsWith('/auth'));
    const query = new URL(auth?.path ?? '/', 'http://x').searchParams;
    expect(query.get('access_type')).toBe('offline');
    expect(query.get('scope')?.split(' ').sort()).toEqual(['email', 'openid', 'profile']);
    expect(query.get('hd')).toBeNull();
  });

  it('hostedDomain: sends hd, and refuses an account whose verified ID token has no matching hd claim', async () => {
    harness = await startProxyHarness({
      provider: ({ clientId, clientSecret, issuer }) =>
        googleProvider({
          issuer,
          clientId,
          clientAuth: { method: 'client_secret_basic', clientSecret },
          hostedDomain: 'example.com',
        }),
    });
    const client = await harness.registerClient();
    const { url } = harness.authorizationUrl(client);
    const final = await signInThroughProxy(new CookieJar(), url);
    // The account signed in at the provider but is not allowed: a page that says so, linking back
    // to the application with access_denied (never a code).
    expect(final.status).toBe(403);
    const page = await final.text();
    expect(page).toContain('not allowed');
    const link =
      /href="([^"]+)"/.exec(page.slice(page.indexOf('Return to the application') - 400))?.[1] ?? '';
    expect(new URL(link.replace(/&amp;/g, '&')).searchParams.get('error')).toBe('access_denied');
    const auth = harness.idp?.requests.find((request) => request.path.startsWith('/auth'));
    expect(new URL(auth?.path ?? '/', 'http://x').searchParams.get('hd')).toBe('example.com');
  });
});

describe('Entra ID preset', () => {
  it("signs in against one tenant's issuer", async () => {
    harness = await startProxyHarness({
      provider: ({ clientId, clientSecret, issuer }) =>
        entraIdProvider({ issuer, clientId, clientAuth: { method: 'client_secret_basic', clientSecret } }),
    });
    expect((await finalQuery(harness)).get('code')).toBeTruthy();
  });

  it('refuses the multi-tenant endpoints and needs a tenant', () => {
    const connection = {
      clientId: 'x',
      clientAuth: { method: 'client_secret_basic' as const, clientSecret: 's' },
    };
    for (const tenant of ['common', 'organizations', 'consumers']) {
      expect(() => entraIdProvider({ ...connection, tenant })).toThrow(/one tenant/);
    }
    expect(() => entraIdProvider(connection)).toThrow(/tenant/);
    expect(entraIssuer('contoso.onmicrosoft.com')).toBe(
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0',
    );
  });
});
