/**
 * How our server authenticates to the upstream OpenID provider's token endpoint: each method the
 * issue names, against a real oidc-provider that registered our client with exactly that method
 * (it refuses any other), through a whole sign-in to our code and token.
 */
import { exportJWK, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { oidcProvider } from '../../../src/server/index.js';
import { CookieJar, type ProxyHarness, signInThroughProxy, startProxyHarness } from './harness.js';

let harness: ProxyHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function signInAndRedeem(h: ProxyHarness): Promise<number> {
  const client = await h.registerClient();
  const { url, verifier } = h.authorizationUrl(client);
  const final = await signInThroughProxy(new CookieJar(), url);
  expect(final.status).toBe(303);
  const code = new URL(final.headers.get('location') ?? '').searchParams.get('code');
  expect(code).toBeTruthy();
  return (await h.redeem(client, code ?? '', verifier)).status;
}

describe('client authentication to the upstream provider', () => {
  for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
    it(`${method}: the provider, which registered only ${method}, redeems our code`, async () => {
      harness = await startProxyHarness({
        idp: { clientAuthMethod: method },
        provider: ({ clientId, clientSecret, issuer }) =>
          oidcProvider({ issuer, clientId, clientAuth: { method, clientSecret }, timeoutMs: 3000 }),
      });
      expect(await signInAndRedeem(harness)).toBe(200);
    });
  }

  it('private_key_jwt with our own key: the provider verifies our assertion against our public key', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'proxy-key-1', alg: 'ES256', use: 'sig' };
    harness = await startProxyHarness({
      idp: { clientAuthMethod: 'private_key_jwt', jwks: { keys: [jwk] } },
      provider: ({ clientId, issuer }) =>
        oidcProvider({
          issuer,
          clientId,
          clientAuth: { method: 'private_key_jwt', privateKey, kid: 'proxy-key-1' },
          timeoutMs: 3000,
        }),
    });
    expect(await signInAndRedeem(harness)).toBe(200);
  });

  it('private_key_jwt signed with a key the provider does not know: the sign-in fails with server_error, no code', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const { privateKey: otherKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'proxy-key-1', alg: 'ES256', use: 'sig' };
    harness = await startProxyHarness({
      idp: { clientAuthMethod: 'private_key_jwt', jwks: { keys: [jwk] } },
      provider: ({ clientId, issuer }) =>
        oidcProvider({
          issuer,
          clientId,
          clientAuth: { method: 'private_key_jwt', privateKey: otherKey, kid: 'proxy-key-1' },
          timeoutMs: 3000,
        }),
    });
    const client = await harness.registerClient();
    const { url } = harness.authorizationUrl(client);
    const final = await signInThroughProxy(new CookieJar(), url);
    expect(final.status).toBe(303);
    const query = new URL(final.headers.get('location') ?? '').searchParams;
    expect(query.get('code')).toBeNull();
    expect(query.get('error')).toBe('server_error');
  });
});
