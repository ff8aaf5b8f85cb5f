/**
 * Self-test of the loopback upstream OpenID provider (src/demo/upstream-idp.ts): discovery, the dev
 * login (and consent) driven with plain HTTP, the code flow with PKCE through an independent client
 * (oauth4webapi), refresh tokens, userinfo claims, client authentication methods, and the
 * slow/down switches.
 */
import { exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  completeUpstreamLogin,
  startUpstreamIdp,
  UPSTREAM_LOGIN_FORM,
  type UpstreamIdp,
  type UpstreamIdpOptions,
} from '../../src/demo/upstream-idp.js';

const INSECURE = { [oauth.allowInsecureRequests]: true } as const;
// Nothing listens here: the callback is only read from the Location header.
const REDIRECT_URI = 'http://127.0.0.1:9/upstream/callback';
const ALICE = { accountId: 'alice', email: 'alice@example.com', name: 'Alice Example', emailVerified: true };

async function discover(idp: UpstreamIdp): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(idp.issuer);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...INSECURE });
  return oauth.processDiscoveryResponse(issuer, response);
}

/** Builds an authorization URL with PKCE S256; returns it with its verifier and state. */
async function authorizationUrl(
  as: oauth.AuthorizationServer,
  clientId: string,
  scope = 'openid email profile',
): Promise<{ url: URL; verifier: string; state: string }> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  return { url, verifier, state };
}

/** The whole code flow: dev login as `login`, then the code exchange with `auth`. */
async function signIn(
  idp: UpstreamIdp,
  auth: oauth.ClientAuth,
  login = 'alice',
): Promise<{ as: oauth.AuthorizationServer; client: oauth.Client; tokens: oauth.TokenEndpointResponse }> {
  const as = await discover(idp);
  const client: oauth.Client = { client_id: idp.clientId };
  const { url, verifier, state } = await authorizationUrl(as, idp.clientId);
  const callback = await completeUpstreamLogin(url, { login });
  expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
  expect(callback.searchParams.get('iss')).toBe(idp.issuer);
  const params = oauth.validateAuthResponse(as, client, callback, state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    auth,
    params,
    REDIRECT_URI,
    verifier,
    INSECURE,
  );
  return { as, client, tokens: await oauth.processAuthorizationCodeResponse(as, client, response) };
}

const started: UpstreamIdp[] = [];
async function start(options: Partial<UpstreamIdpOptions> = {}): Promise<UpstreamIdp> {
  const idp = await startUpstreamIdp({ redirectUris: [REDIRECT_URI], accounts: [ALICE], ...options });
  started.push(idp);
  return idp;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((idp) => idp.close()));
});

describe('upstream OpenID provider (oidc-provider on loopback)', () => {
  let idp: UpstreamIdp;
  beforeAll(async () => {
    idp = await startUpstreamIdp({
      redirectUris: [REDIRECT_URI],
      accounts: [ALICE],
      accessTokenTtlSeconds: 120,
    });
  });
  afterAll(async () => {
    await idp.close();
  });

  it('serves a discovery document with S256 PKCE and RFC 9207 iss', async () => {
    expect(idp.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(idp.discoveryUrl);
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata.issuer).toBe(idp.issuer);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    expect(metadata.userinfo_endpoint).toBe(`${idp.issuer}/me`);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token']),
    );
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'email', 'profile']));
  });

  it('renders the dev login form described by UPSTREAM_LOGIN_FORM', async () => {
    const as = await discover(idp);
    const { url } = await authorizationUrl(as, idp.clientId);
    const redirect = await fetch(url, { redirect: 'manual' });
    expect(redirect.status).toBe(303);
    const interaction = new URL(redirect.headers.get('location')!, url);
    expect(interaction.pathname).toMatch(/^\/interaction\//);
    const cookie = redirect.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ');
    const html = await (await fetch(interaction, { headers: { cookie } })).text();
    expect(html).toContain('<h1>Sign-in</h1>');
    expect(html).toContain(`type="text" name="${UPSTREAM_LOGIN_FORM.loginField}"`);
    expect(html).toContain(`type="password" name="${UPSTREAM_LOGIN_FORM.passwordField}"`);
    expect(html).toContain('<button type="submit"');
    expect(html).toMatch(/<a href="[^"]+\/abort">\[ Cancel \]<\/a>/);
  });

  it('signs in through login + consent; tokens, refresh token and userinfo email', async () => {
    const before = idp.requests.length;
    const { as, client, tokens } = await signIn(idp, oauth.ClientSecretBasic(idp.clientSecret!));
    // The login form and the consent page were both posted.
    const posts = idp.requests
      .slice(before)
      .filter((r) => r.method === 'POST' && r.path.startsWith('/interaction/'));
    expect(posts).toHaveLength(2);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBe(120);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.scope?.split(' ').sort()).toEqual(['email', 'openid', 'profile']);
    expect(oauth.getValidatedIdTokenClaims(tokens)?.sub).toBe('alice');

    const userinfo = await oauth.processUserInfoResponse(
      as,
      client,
      'alice',
      await oauth.userInfoRequest(as, client, tokens.access_token, INSECURE),
    );
    expect(userinfo).toMatchObject({ sub: 'alice', email: 'alice@example.com', email_verified: true });
    expect(userinfo.name).toBe('Alice Example');

    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic(idp.clientSecret!),
        tokens.refresh_token!,
        INSECURE,
      ),
    );
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    // rotateRefreshTokens defaults to true: a new refresh token, the old one is spent.
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    // Reusing the spent one is invalid_grant (and oidc-provider revokes the grant).
    const reuse = await oauth.refreshTokenGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(idp.clientSecret!),
      tokens.refresh_token!,
      INSECURE,
    );
    await expect(oauth.processRefreshTokenResponse(as, client, reuse)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('refuses an authorization request without PKCE', async () => {
    const as = await discover(idp);
    const { url } = await authorizationUrl(as, idp.clientId);
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const response = await fetch(url, { redirect: 'manual' });
    const callback = new URL(response.headers.get('location')!);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('"[ Cancel ]" ends the flow with access_denied and iss', async () => {
    const as = await discover(idp);
    const { url, state } = await authorizationUrl(as, idp.clientId);
    const callback = await completeUpstreamLogin(url, { login: 'alice', cancel: true });
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('iss')).toBe(idp.issuer);
  });
});

describe('upstream OpenID provider options', () => {
  it('autoConsent skips the consent page; client_secret_post; unknown logins get sub only', async () => {
    const idp = await start({
      autoConsent: true,
      clientAuthMethod: 'client_secret_post',
      clientSecret: 's3cret',
    });
    expect(idp.clientSecret).toBe('s3cret');
    const { as, client, tokens } = await signIn(idp, oauth.ClientSecretPost('s3cret'), 'bob');
    const posts = idp.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/interaction/'));
    expect(posts).toHaveLength(1);
    const userinfo = await oauth.processUserInfoResponse(
      as,
      client,
      'bob',
      await oauth.userInfoRequest(as, client, tokens.access_token, INSECURE),
    );
    expect(userinfo).toEqual({ sub: 'bob', preferred_username: 'bob' });
    expect(tokens.refresh_token).toEqual(expect.any(String));
  });

  it('private_key_jwt with the client public keys; no secret', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const idp = await start({
      clientAuthMethod: 'private_key_jwt',
      jwks: { keys: [jwk] },
      autoConsent: true,
    });
    expect(idp.clientSecret).toBeUndefined();
    const { tokens } = await signIn(idp, oauth.PrivateKeyJwt({ key: privateKey, kid: 'k1' }));
    expect(tokens.access_token).toEqual(expect.any(String));
    await expect(
      startUpstreamIdp({ redirectUris: [REDIRECT_URI], clientAuthMethod: 'private_key_jwt' }),
    ).rejects.toThrow(/jwks/);
  });

  it('rotateRefreshTokens: false keeps the refresh token', async () => {
    const idp = await start({ autoConsent: true, rotateRefreshTokens: false });
    const auth = oauth.ClientSecretBasic(idp.clientSecret!);
    const { as, client, tokens } = await signIn(idp, auth);
    const response = await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, INSECURE);
    const refreshed = await oauth.processRefreshTokenResponse(as, client, response);
    expect(refreshed.refresh_token).toBe(tokens.refresh_token);
  });

  it('setDelay slows every request; setDown answers 503 or resets the connection', async () => {
    const idp = await start({ delayMs: 150 });
    let t0 = performance.now();
    expect((await fetch(idp.discoveryUrl)).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    idp.setDelay(0);
    t0 = performance.now();
    expect((await fetch(idp.discoveryUrl)).status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(140);

    idp.setDown(true);
    const unavailable = await fetch(idp.discoveryUrl);
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('1');
    idp.setDown(true, 'reset');
    await expect(fetch(idp.discoveryUrl)).rejects.toThrow(/fetch failed/);
    idp.setDown(false);
    expect((await fetch(idp.discoveryUrl)).status).toBe(200);
  });

  it('close() returns promptly with a delayed request in flight, and frees the port', async () => {
    const idp = await start({ delayMs: 60_000 });
    const pending = fetch(idp.discoveryUrl).then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const t0 = performance.now();
    await idp.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(await pending).toBe('failed');
    await expect(fetch(idp.discoveryUrl)).rejects.toThrow();
  });
});
