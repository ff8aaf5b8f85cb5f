/**
 * /revoke (RFC 7009): client authentication as at /token; a refresh token revokes its family; an
 * access token revokes the grant it belongs to (its refresh tokens); unknown or foreign tokens
 * change nothing and still get 200 (no information leak, RFC 7009 §2.2).
 */
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CimdHost,
  codeParams,
  createKey,
  createTestServer,
  expectOAuthError,
  expectTokens,
  ISSUER,
  type KeyClient,
  keyClient,
  publicClient,
  RESOURCE,
  startCimdHost,
  type TestClient,
  type TestKey,
  type TestServer,
  type TokenBody,
} from './harness.js';

let host: CimdHost;
let key: TestKey;
let t: TestServer;

beforeAll(async () => {
  host = await startCimdHost();
  key = await createKey('k1');
});
afterAll(async () => {
  await host.close();
});
afterEach(async () => {
  await t?.close();
});

async function signIn(client: TestClient): Promise<TokenBody> {
  return expectTokens(await t.token(codeParams(client.clientId, await t.issueCode(client.clientId))));
}

function revoke(client: TestClient, token: string | undefined, extra: Record<string, string> = {}) {
  return t.post('/revoke', { client_id: client.clientId, token: token ?? '', ...extra });
}

function refresh(client: TestClient, refreshToken: string | undefined) {
  return t.token({
    grant_type: 'refresh_token',
    client_id: client.clientId,
    refresh_token: refreshToken ?? '',
  });
}

/** Expects RFC 7009's success: 200, empty body, not cacheable. */
async function expectRevoked(response: Response): Promise<void> {
  expect(response.status).toBe(200);
  expect(await response.text()).toBe('');
  expect(response.headers.get('cache-control')).toBe('no-store');
}

describe('revocation (RFC 7009)', () => {
  it('a refresh token of the client: 200, and its family stops working', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const body = await signIn(client);
    await expectRevoked(await revoke(client, body.refresh_token));
    await expectOAuthError(await refresh(client, body.refresh_token), 'invalid_grant');
  });

  it('an earlier (rotated-away) refresh token also revokes its family', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const first = await signIn(client);
    const second = await expectTokens(await refresh(client, first.refresh_token));
    await expectRevoked(await revoke(client, first.refresh_token));
    await expectOAuthError(await refresh(client, second.refresh_token), 'invalid_grant');
  });

  it('an access token of the client: 200, and the refresh tokens of its grant stop working', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const body = await signIn(client);
    await expectRevoked(await revoke(client, body.access_token, { token_type_hint: 'access_token' }));
    await expectOAuthError(await refresh(client, body.refresh_token), 'invalid_grant');
  });

  it('token_type_hint is only a hint: a wrong or unknown hint still finds the token', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const a = await signIn(client);
    await expectRevoked(await revoke(client, a.refresh_token, { token_type_hint: 'access_token' }));
    await expectOAuthError(await refresh(client, a.refresh_token), 'invalid_grant');
    const b = await signIn(client);
    await expectRevoked(await revoke(client, b.access_token, { token_type_hint: 'refresh_token' }));
    await expectOAuthError(await refresh(client, b.refresh_token), 'invalid_grant');
    const c = await signIn(client);
    await expectRevoked(await revoke(client, c.refresh_token, { token_type_hint: 'id_token' }));
    await expectOAuthError(await refresh(client, c.refresh_token), 'invalid_grant');
  });

  it("RFC 7009 §2.2: another client's refresh or access token gets 200 and nothing is revoked", async () => {
    t = await createTestServer(host);
    const owner = publicClient(host);
    const other = publicClient(host);
    const body = await signIn(owner);
    await expectRevoked(await revoke(other, body.refresh_token));
    await expectRevoked(await revoke(other, body.access_token));
    await expectTokens(await refresh(owner, body.refresh_token));
  });

  it('RFC 7009 §2.2: unknown, malformed and huge tokens get 200', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    for (const token of ['unknown', 'a.b.c', 'eyJhbGciOiJub25lIn0.e30.', 'x'.repeat(20_000), '\u0000']) {
      await expectRevoked(await revoke(client, token));
    }
  });

  it('a JWT not signed by this server, even with the right claims, revokes nothing', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const body = await signIn(client);
    const { decodeJwt } = await import('jose');
    const claims = decodeJwt(body.access_token);
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(key.privateKey);
    await expectRevoked(await revoke(client, forged));
    await expectTokens(await refresh(client, body.refresh_token));
  });

  it('a private_key_jwt client must authenticate with an assertion to revoke', async () => {
    t = await createTestServer(host);
    const client: KeyClient = keyClient(host, [key]);
    const { client_id: _id, ...params } = codeParams(client.clientId, await t.issueCode(client.clientId));
    const body = await expectTokens(await t.token({ ...params, ...(await t.auth(client.clientId, key)) }));
    await expectOAuthError(await revoke(client, body.refresh_token), 'invalid_client');
    const ok = await t.post('/revoke', {
      token: body.refresh_token ?? '',
      ...(await t.auth(client.clientId, key)),
    });
    await expectRevoked(ok);
    const response = await t.token({
      grant_type: 'refresh_token',
      refresh_token: body.refresh_token ?? '',
      ...(await t.auth(client.clientId, key)),
    });
    await expectOAuthError(response, 'invalid_grant');
  });

  it('a missing token is invalid_request; a repeated one too', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    await expectOAuthError(await t.post('/revoke', { client_id: client.clientId }), 'invalid_request');
    await expectOAuthError(
      await t.post('/revoke', [
        ['client_id', client.clientId],
        ['token', 'a'],
        ['token', 'b'],
      ]),
      'invalid_request',
    );
  });

  it('shared secrets and unknown clients are invalid_client', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    await expectOAuthError(await revoke(client, 'x', { client_secret: 's' }), 'invalid_client');
    await expectOAuthError(
      await t.post('/revoke', { client_id: client.clientId, token: 'x' }, { authorization: 'Basic eDp5' }),
      'invalid_client',
    );
    await expectOAuthError(await t.post('/revoke', { client_id: 'nobody', token: 'x' }), 'invalid_client');
    await expectOAuthError(await t.post('/revoke', { token: 'x' }), 'invalid_client');
  });

  it('only POST with a form body: other methods 405, JSON invalid_request', async () => {
    t = await createTestServer(host);
    const get = await t.server.fetch(new Request(`${ISSUER}/revoke`));
    await expectOAuthError(get, 'invalid_request', 405);
    const json = await t.server.fetch(
      new Request(`${ISSUER}/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: 'x' }),
      }),
    );
    await expectOAuthError(json, 'invalid_request');
  });

  it('revoking an access token leaves the access token itself valid until it expires (documented)', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const body = await signIn(client);
    await expectRevoked(await revoke(client, body.access_token));
    const { createLocalJWKSet, jwtVerify } = await import('jose');
    const jwks = createLocalJWKSet(await t.server.context.signingKeys.publicJwks());
    await expect(
      jwtVerify(body.access_token, jwks, { audience: RESOURCE, currentDate: new Date(t.clock.now()) }),
    ).resolves.toBeDefined();
  });
});
