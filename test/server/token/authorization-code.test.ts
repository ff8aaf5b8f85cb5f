/**
 * The authorization_code grant at /token: PKCE (PKCE-AS-04, -05, -07), single use with replay
 * revocation (PKCE-AS-08), redirect URI (RURI-09), resource binding (RES-03), change detection
 * (CIMD-AS-19), the token response and the access token it carries.
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sha256Base64url } from '../../../src/server/crypto.js';
import { refreshTokenKey } from '../../../src/server/grants/issue-tokens.js';
import {
  type CimdHost,
  codeParams,
  createKey,
  createTestServer,
  expectOAuthError,
  expectTokens,
  ISSUER,
  keyClient,
  OTHER_RESOURCE,
  publicClient,
  REDIRECT_URI,
  RESOURCE,
  startCimdHost,
  type TestKey,
  type TestServer,
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

describe('authorization_code grant: the happy path', () => {
  it('issues a Bearer JWT access token for the bound resource, the granted scope and a refresh token', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    const body = await expectTokens(await t.token(codeParams(client.clientId, issued)));
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'mcp:tools mcp:read' });
    expect(body.refresh_token).toMatch(/^[0-9a-f]{12}[A-Za-z0-9_-]{43}$/);
    expect(Object.keys(body).sort()).toEqual([
      'access_token',
      'expires_in',
      'refresh_token',
      'scope',
      'token_type',
    ]);

    const jwks = createLocalJWKSet(await t.server.context.signingKeys.publicJwks());
    const { payload } = await jwtVerify(body.access_token, jwks, {
      issuer: ISSUER,
      audience: RESOURCE,
      currentDate: new Date(t.clock.now()),
    });
    expect(decodeProtectedHeader(body.access_token).typ).toBe('at+jwt');
    expect(payload).toMatchObject({
      sub: 'user-1',
      client_id: client.clientId,
      scope: 'mcp:tools mcp:read',
      aud: RESOURCE,
      grant_id: issued.record.grantId,
      auth_time: Math.floor(issued.record.authTime / 1000),
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(600);
  });

  it('honours accessTokenLifetimeMs in expires_in and exp', async () => {
    t = await createTestServer(host, { accessTokenLifetimeMs: 120_000 });
    const client = publicClient(host);
    const body = await expectTokens(
      await t.token(codeParams(client.clientId, await t.issueCode(client.clientId))),
    );
    expect(body.expires_in).toBe(120);
    const claims = decodeJwt(body.access_token);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(120);
  });

  it('the refresh token is stored only as its hash, in a family with the grant, client and user', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    const body = await expectTokens(await t.token(codeParams(client.clientId, issued)));
    const family = await t.store.findRefreshFamily(await refreshTokenKey(body.refresh_token ?? ''));
    expect(family).toMatchObject({
      grantId: issued.record.grantId,
      clientId: client.clientId,
      userId: 'user-1',
      scope: 'mcp:tools mcp:read',
      resources: [RESOURCE],
      authMethod: 'none',
      createdAt: t.clock.now(),
      expiresAt: t.clock.now() + 30 * 86_400_000,
    });
    expect(family?.keyThumbprint).toBeUndefined();
    expect(await t.store.findRefreshFamily(body.refresh_token ?? '')).toBeUndefined();
  });

  it('DESIGN: no refresh token when the client does not list the refresh_token grant (no offline_access needed otherwise)', async () => {
    t = await createTestServer(host);
    const client = publicClient(host, { grant_types: ['authorization_code'] });
    const body = await expectTokens(
      await t.token(codeParams(client.clientId, await t.issueCode(client.clientId))),
    );
    expect(body.refresh_token).toBeUndefined();
    const defaulted = publicClient(host, { grant_types: undefined });
    delete defaulted.document.grant_types;
    defaulted.update({ grant_types: undefined });
    const other = await expectTokens(
      await t.token(codeParams(defaulted.clientId, await t.issueCode(defaulted.clientId))),
    );
    expect(other.refresh_token).toBeUndefined();
  });

  it('an empty scope is left out of the response and the token', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const body = await expectTokens(
      await t.token(codeParams(client.clientId, await t.issueCode(client.clientId, { scope: '' }))),
    );
    expect(body).not.toHaveProperty('scope');
    expect(decodeJwt(body.access_token)).not.toHaveProperty('scope');
  });

  it('redirect_uri may be left out (OAuth 2.1), and is then not compared', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const { redirect_uri: _omitted, ...params } = codeParams(
      client.clientId,
      await t.issueCode(client.clientId),
    );
    await expectTokens(await t.token(params));
  });

  it('a private_key_jwt client gets a family bound to the thumbprint of the key it signed with (PKJ-17)', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [key]);
    const issued = await t.issueCode(client.clientId);
    const { client_id: _id, ...params } = codeParams(client.clientId, issued);
    const body = await expectTokens(await t.token({ ...params, ...(await t.auth(client.clientId, key)) }));
    const family = await t.store.findRefreshFamily(await refreshTokenKey(body.refresh_token ?? ''));
    const { calculateJwkThumbprint } = await import('jose');
    expect(family?.authMethod).toBe('private_key_jwt');
    expect(family?.keyThumbprint).toBe(await calculateJwkThumbprint(key.publicJwk, 'sha256'));
  });
});

describe('PKCE (RFC 7636)', () => {
  it('PKCE-AS-04: a wrong code_verifier is invalid_grant', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    const wrong = 'W'.repeat(43);
    await expectOAuthError(
      await t.token(codeParams(client.clientId, issued, { code_verifier: wrong })),
      'invalid_grant',
    );
  });

  it('PKCE-AS-04: the RFC 7636 Appendix B verifier/challenge pair is accepted', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId, {
      codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    });
    const params = codeParams(client.clientId, issued, {
      code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
    });
    await expectTokens(await t.token(params));
  });

  it('PKCE-AS-05: a code issued without a challenge cannot be redeemed with a verifier (downgrade defence)', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId, { codeChallenge: '' });
    await expectOAuthError(await t.token(codeParams(client.clientId, issued)), 'invalid_grant');
  });

  it('PKCE-AS-05: a plain-method challenge (verifier equal to the challenge) never matches', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const verifier = 'p'.repeat(43);
    const issued = await t.issueCode(client.clientId, { codeChallenge: verifier });
    const params = codeParams(client.clientId, issued, { code_verifier: verifier });
    await expectOAuthError(await t.token(params), 'invalid_grant');
  });

  it.each([
    ['42 characters', 'a'.repeat(42)],
    ['129 characters', 'a'.repeat(129)],
    ['a character outside the unreserved set', `${'a'.repeat(42)}+`],
    ['a space', `${'a'.repeat(42)} `],
    ['non-ASCII', `${'a'.repeat(42)}é`],
  ])(
    'PKCE-AS-07: a code_verifier of %s is invalid_grant and leaves the code usable',
    async (_name, verifier) => {
      t = await createTestServer(host);
      const client = publicClient(host);
      const issued = await t.issueCode(client.clientId);
      const body = await expectOAuthError(
        await t.token(codeParams(client.clientId, issued, { code_verifier: verifier })),
        'invalid_grant',
      );
      expect(body.error_description).toMatch(/43 to 128/);
      await expectTokens(await t.token(codeParams(client.clientId, issued)));
    },
  );

  it('PKCE-AS-07: verifiers of exactly 43 and 128 characters are accepted', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    for (const verifier of ['A'.repeat(43), `${'a-._~'.repeat(25)}xyz`]) {
      expect(verifier.length === 43 || verifier.length === 128).toBe(true);
      const issued = await t.issueCode(client.clientId, { codeChallenge: await sha256Base64url(verifier) });
      await expectTokens(await t.token(codeParams(client.clientId, issued, { code_verifier: verifier })));
    }
  });

  it('a missing code_verifier is invalid_request', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const { code_verifier: _v, ...params } = codeParams(client.clientId, await t.issueCode(client.clientId));
    const body = await expectOAuthError(await t.token(params), 'invalid_request');
    expect(body.error_description).toMatch(/code_verifier/);
  });
});

describe('single use (PKCE-AS-08)', () => {
  it('PKCE-AS-08: a second redemption fails and revokes the refresh tokens issued from the code', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    const first = await expectTokens(await t.token(codeParams(client.clientId, issued)));
    await expectOAuthError(await t.token(codeParams(client.clientId, issued)), 'invalid_grant');
    const refresh = await t.token({
      grant_type: 'refresh_token',
      client_id: client.clientId,
      refresh_token: first.refresh_token ?? '',
    });
    await expectOAuthError(refresh, 'invalid_grant');
    expect(t.logs.some((line) => line.fields.event === 'code_replayed')).toBe(true);
  });

  it.each([
    ['a wrong code_verifier', { code_verifier: 'X'.repeat(43) }],
    ['a different redirect_uri', { redirect_uri: 'http://127.0.0.1:1/callback' }],
  ])('PKCE-AS-08: a replay with %s fails without revoking anything', async (_name, change) => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    const first = await expectTokens(await t.token(codeParams(client.clientId, issued)));
    await expectOAuthError(await t.token(codeParams(client.clientId, issued, change)), 'invalid_grant');
    await expectTokens(
      await t.token({
        grant_type: 'refresh_token',
        client_id: client.clientId,
        refresh_token: first.refresh_token ?? '',
      }),
    );
  });

  it('PKCE-AS-08: a replay by another client fails without revoking anything', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const other = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    const first = await expectTokens(await t.token(codeParams(client.clientId, issued)));
    await expectOAuthError(await t.token(codeParams(other.clientId, issued)), 'invalid_grant');
    await expectTokens(
      await t.token({
        grant_type: 'refresh_token',
        client_id: client.clientId,
        refresh_token: first.refresh_token ?? '',
      }),
    );
  });

  it('PKCE-AS-08: of concurrent redemptions of one code exactly one succeeds, and the grant ends up revoked', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => t.token(codeParams(client.clientId, issued))),
    );
    const ok = responses.filter((response) => response.status === 200);
    expect(ok).toHaveLength(1);
    const body = await expectTokens(ok[0]!);
    for (const response of responses.filter((r) => r.status !== 200))
      await expectOAuthError(response, 'invalid_grant');
    await expectOAuthError(
      await t.token({
        grant_type: 'refresh_token',
        client_id: client.clientId,
        refresh_token: body.refresh_token ?? '',
      }),
      'invalid_grant',
    );
  });

  it('an unknown or expired code is invalid_grant', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    await expectOAuthError(
      await t.token(codeParams(client.clientId, issued, { code: 'nope' })),
      'invalid_grant',
    );
    t.clock.advance(t.server.context.options.codeLifetimeMs);
    await expectOAuthError(await t.token(codeParams(client.clientId, issued)), 'invalid_grant');
  });

  it("another client's code is invalid_grant (the code is bound to its client)", async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const other = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    const body = await expectOAuthError(await t.token(codeParams(other.clientId, issued)), 'invalid_grant');
    expect(body.error_description).toMatch(/another client/);
  });
});

describe('redirect URI (RURI-09)', () => {
  it.each([
    ['another port', 'http://127.0.0.1:53124/callback'],
    ['another host spelling', 'http://localhost:53123/callback'],
    ['a trailing slash', `${REDIRECT_URI}/`],
    ['a query', `${REDIRECT_URI}?x=1`],
    ['different case', REDIRECT_URI.toUpperCase()],
  ])('RURI-09: a redirect_uri with %s is invalid_grant', async (_name, redirectUri) => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    const body = await expectOAuthError(
      await t.token(codeParams(client.clientId, issued, { redirect_uri: redirectUri })),
      'invalid_grant',
    );
    expect(body.error_description).toMatch(/redirect_uri/);
  });
});

describe('resource (RFC 8707)', () => {
  it('RES-03: a resource the code is not bound to is invalid_target', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    await expectOAuthError(
      await t.token(codeParams(client.clientId, issued, { resource: OTHER_RESOURCE })),
      'invalid_target',
    );
  });

  it('RES-03: the bound resource is accepted and becomes the only audience', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId, { resources: [RESOURCE, OTHER_RESOURCE] });
    const both = await expectTokens(await t.token(codeParams(client.clientId, issued)));
    expect(decodeJwt(both.access_token).aud).toEqual([RESOURCE, OTHER_RESOURCE]);
    const again = await t.issueCode(client.clientId, { resources: [RESOURCE, OTHER_RESOURCE] });
    const one = await expectTokens(
      await t.token(codeParams(client.clientId, again, { resource: OTHER_RESOURCE })),
    );
    expect(decodeJwt(one.access_token).aud).toBe(OTHER_RESOURCE);
  });

  it('MCP-AS-12: an upper-case scheme or host in resource names the same resource', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    const body = await expectTokens(
      await t.token(codeParams(client.clientId, issued, { resource: 'HTTP://127.0.0.1:4001/mcp' })),
    );
    expect(decodeJwt(body.access_token).aud).toBe(RESOURCE);
  });

  it.each([
    ['a fragment', `${RESOURCE}#f`],
    ['a relative reference', '/mcp'],
    ['a different path case', 'http://127.0.0.1:4001/MCP'],
  ])('RES-01/RES-03: a resource with %s is invalid_target', async (_name, resource) => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    await expectOAuthError(
      await t.token(codeParams(client.clientId, issued, { resource })),
      'invalid_target',
    );
  });

  it('a repeated resource parameter is invalid_request (one resource per token request)', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId, { resources: [RESOURCE, OTHER_RESOURCE] });
    const pairs = [
      ...Object.entries(codeParams(client.clientId, issued)),
      ['resource', RESOURCE],
      ['resource', OTHER_RESOURCE],
    ] as [string, string][];
    await expectOAuthError(await t.token(pairs), 'invalid_request');
  });
});

describe('client metadata changes (CIMD-AS-19, CIMD §6.3)', () => {
  it('CIMD-AS-19: a document whose redirect URIs changed since consent cannot redeem the code', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    client.update({ redirect_uris: ['http://127.0.0.1/other-callback'] });
    await t.server.context.registry.invalidate(client.clientId);
    const body = await expectOAuthError(await t.token(codeParams(client.clientId, issued)), 'invalid_grant');
    expect(body.error_description).toBe("the client's metadata changed since approval; sign in again");
  });

  it('a change to a member outside the fingerprint (contacts) does not matter', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId, {});
    client.update({ contacts: ['ops@example.com'] });
    await t.server.context.registry.invalidate(client.clientId);
    await expectTokens(await t.token(codeParams(client.clientId, issued)));
  });

  it('CIMD-AS-19: an identity field (client_name) changed since consent: the code is refused', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId, {});
    client.update({ client_name: 'Renamed client' });
    await t.server.context.registry.invalidate(client.clientId);
    const body = await expectOAuthError(await t.token(codeParams(client.clientId, issued)), 'invalid_grant');
    expect(body.error_description).toBe("the client's metadata changed since approval; sign in again");
  });

  it('a code without a recorded fingerprint counts as changed', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    const { clientFingerprint: _f, ...record } = issued.record;
    const code = 'c'.repeat(43);
    await t.store.saveCode(await sha256Base64url(code), record, 60_000);
    await expectOAuthError(await t.token(codeParams(client.clientId, { ...issued, code })), 'invalid_grant');
  });
});
