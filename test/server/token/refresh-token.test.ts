/**
 * The refresh_token grant at /token: rotation and reuse detection (MCP-AS-13), scope and resource
 * narrowing (RES-03), the auth-method and key binding of a family (PKJ-16, PKJ-17, CIMD-AS-20)
 * with key rotation (stage, promote, retire) that never breaks a refresh.
 */
import { calculateJwkThumbprint, decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { refreshTokenKey } from '../../../src/server/grants/issue-tokens.js';
import {
  type CimdHost,
  codeParams,
  createKey,
  createTestServer,
  expectOAuthError,
  expectTokens,
  type KeyClient,
  keyClient,
  OTHER_RESOURCE,
  publicClient,
  RESOURCE,
  startCimdHost,
  type TestClient,
  type TestKey,
  type TestServer,
  type TokenBody,
} from './harness.js';

let host: CimdHost;
let k1: TestKey;
let k2: TestKey;
let t: TestServer;

/** Past every cache's lower bound (documents and key sets: 60 s). */
const PAST_CACHES = 61_000;

beforeAll(async () => {
  host = await startCimdHost();
  k1 = await createKey('k1');
  k2 = await createKey('k2');
});
afterAll(async () => {
  await host.close();
});
afterEach(async () => {
  await t?.close();
});

/** Runs the code exchange for a public client and returns the token body. */
async function signInPublic(client: TestClient, overrides = {}): Promise<TokenBody> {
  return expectTokens(
    await t.token(codeParams(client.clientId, await t.issueCode(client.clientId, overrides))),
  );
}

/** Runs the code exchange for a private_key_jwt client signing with `key`. */
async function signInWithKey(client: KeyClient, key: TestKey): Promise<TokenBody> {
  const { client_id: _id, ...params } = codeParams(client.clientId, await t.issueCode(client.clientId));
  return expectTokens(await t.token({ ...params, ...(await t.auth(client.clientId, key)) }));
}

function refreshPublic(
  client: TestClient,
  refreshToken: string | undefined,
  extra: Record<string, string> = {},
) {
  return t.token({
    grant_type: 'refresh_token',
    client_id: client.clientId,
    refresh_token: refreshToken ?? '',
    ...extra,
  });
}

async function refreshWithKey(client: KeyClient, key: TestKey, refreshToken: string | undefined) {
  return t.token({
    grant_type: 'refresh_token',
    refresh_token: refreshToken ?? '',
    ...(await t.auth(client.clientId, key)),
  });
}

async function familyOf(refreshToken: string | undefined) {
  return t.store.findRefreshFamily(await refreshTokenKey(refreshToken ?? ''));
}

describe('rotation and reuse detection (MCP-AS-13)', () => {
  it('MCP-AS-13: a refresh returns a new access token and a new refresh token; the old one is then refused', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const first = await signInPublic(client);
    const second = await expectTokens(await refreshPublic(client, first.refresh_token));
    expect(second.refresh_token).toBeDefined();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    await expectOAuthError(await refreshPublic(client, first.refresh_token), 'invalid_grant');
  });

  it('MCP-AS-13: replaying an old refresh token revokes the family: the newest token stops working too', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const first = await signInPublic(client);
    const second = await expectTokens(await refreshPublic(client, first.refresh_token));
    await expectOAuthError(await refreshPublic(client, first.refresh_token), 'invalid_grant');
    await expectOAuthError(await refreshPublic(client, second.refresh_token), 'invalid_grant');
    expect(t.logs.some((line) => line.level === 'warn' && line.fields.event === 'refresh_token_reused')).toBe(
      true,
    );
  });

  it('a chain of refreshes keeps the grant, user, client, scope and audience of the original token', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    let body = await signInPublic(client);
    const original = decodeJwt(body.access_token);
    for (let i = 0; i < 4; i++) {
      t.clock.advance(10 * 60_000);
      body = await expectTokens(await refreshPublic(client, body.refresh_token));
    }
    const claims = decodeJwt(body.access_token);
    for (const name of ['sub', 'client_id', 'scope', 'aud', 'grant_id', 'auth_time', 'iss'])
      expect(claims[name], name).toEqual(original[name]);
    expect(claims.iat).toBe(Math.floor(t.clock.now() / 1000));
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'mcp:tools mcp:read' });
  });

  it('MCP-AS-13: of concurrent refreshes with one token exactly one succeeds and the family is revoked', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const first = await signInPublic(client);
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => refreshPublic(client, first.refresh_token)),
    );
    const ok = responses.filter((response) => response.status === 200);
    expect(ok).toHaveLength(1);
    const winner = await expectTokens(ok[0]!);
    await expectOAuthError(await refreshPublic(client, winner.refresh_token), 'invalid_grant');
  });

  it('an unknown, missing or absurdly long refresh token is refused', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    await expectOAuthError(await refreshPublic(client, 'not-a-token'), 'invalid_grant');
    await expectOAuthError(await refreshPublic(client, 'x'.repeat(5000)), 'invalid_grant');
    await expectOAuthError(
      await t.token({ grant_type: 'refresh_token', client_id: client.clientId }),
      'invalid_request',
    );
  });

  it('a family past its absolute lifetime is refused', async () => {
    t = await createTestServer(host, { refreshTokenLifetimeMs: 3_600_000 });
    const client = publicClient(host);
    const first = await signInPublic(client);
    t.clock.advance(3_600_000);
    await expectOAuthError(await refreshPublic(client, first.refresh_token), 'invalid_grant');
  });

  it("another client's refresh token is invalid_grant, and does not revoke the owner's family", async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const thief = publicClient(host);
    const first = await signInPublic(client);
    await expectOAuthError(await refreshPublic(thief, first.refresh_token), 'invalid_grant');
    await expectTokens(await refreshPublic(client, first.refresh_token));
  });

  it('a revoked family is refused', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const first = await signInPublic(client);
    const family = await familyOf(first.refresh_token);
    await t.store.revokeRefreshFamily(family?.familyId ?? '');
    await expectOAuthError(await refreshPublic(client, first.refresh_token), 'invalid_grant');
  });
});

describe('narrowing scope and resource', () => {
  it('a subset of the granted scope is granted; the family keeps the full scope', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const first = await signInPublic(client);
    const narrow = await expectTokens(
      await refreshPublic(client, first.refresh_token, { scope: 'mcp:read' }),
    );
    expect(narrow.scope).toBe('mcp:read');
    expect(decodeJwt(narrow.access_token).scope).toBe('mcp:read');
    const full = await expectTokens(await refreshPublic(client, narrow.refresh_token));
    expect(full.scope).toBe('mcp:tools mcp:read');
  });

  it.each([
    ['a scope not granted', 'mcp:admin'],
    ['the granted scope plus another', 'mcp:tools mcp:admin'],
    ['a malformed scope token', 'mcp:"tools"'],
  ])('%s is invalid_scope and rotates nothing', async (_name, scope) => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const first = await signInPublic(client);
    await expectOAuthError(await refreshPublic(client, first.refresh_token, { scope }), 'invalid_scope');
    await expectTokens(await refreshPublic(client, first.refresh_token));
  });

  it('RES-03: a bound resource narrows the audience; another resource is invalid_target', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const first = await signInPublic(client, { resources: [RESOURCE, OTHER_RESOURCE] });
    const one = await expectTokens(
      await refreshPublic(client, first.refresh_token, { resource: OTHER_RESOURCE }),
    );
    expect(decodeJwt(one.access_token).aud).toBe(OTHER_RESOURCE);
    const only = await signInPublic(client);
    await expectOAuthError(
      await refreshPublic(client, only.refresh_token, { resource: OTHER_RESOURCE }),
      'invalid_target',
    );
    await expectOAuthError(
      await refreshPublic(client, only.refresh_token, { resource: 'https://evil.example.com/mcp' }),
      'invalid_target',
    );
  });
});

describe('scope ceiling: the client metadata scope (issue 12)', () => {
  it('a document with "scope": "read" asking for "admin write" on refresh does not get them, though the grant holds them: invalid_scope; without scope, only read', async () => {
    t = await createTestServer(host);
    const client = publicClient(host, { scope: 'read admin write' });
    const first = await signInPublic(client, { scope: 'read admin write' });
    expect(first.scope).toBe('read admin write');
    client.update({ scope: 'read' });
    t.clock.advance(PAST_CACHES);
    const refused = await expectOAuthError(
      await refreshPublic(client, first.refresh_token, { scope: 'admin write' }),
      'invalid_scope',
    );
    expect(refused.error_description).toContain("this client's scope (read)");
    const kept = await expectTokens(await refreshPublic(client, first.refresh_token));
    expect(kept.scope).toBe('read');
    expect(decodeJwt(kept.access_token).scope).toBe('read');
  });

  it('a refresh whose grant holds nothing within the client scope any more is invalid_scope', async () => {
    t = await createTestServer(host);
    const client = publicClient(host, { scope: 'read admin write' });
    const first = await signInPublic(client, { scope: 'admin write' });
    client.update({ scope: 'read' });
    t.clock.advance(PAST_CACHES);
    const refused = await expectOAuthError(await refreshPublic(client, first.refresh_token), 'invalid_scope');
    expect(refused.error_description).toContain('authorize again');
  });

  it('a document without scope is unchanged: the granted "admin write" is refreshed as it is', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const first = await signInPublic(client, { scope: 'admin write' });
    const next = await expectTokens(await refreshPublic(client, first.refresh_token));
    expect(next.scope).toBe('admin write');
  });
});

describe('auth method binding (PKJ-16, CIMD §6.3)', () => {
  it('PKJ-16: a refresh by a private_key_jwt client without an assertion is invalid_client', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1]);
    const first = await signInWithKey(client, k1);
    const response = await t.token({
      grant_type: 'refresh_token',
      client_id: client.clientId,
      refresh_token: first.refresh_token ?? '',
    });
    await expectOAuthError(response, 'invalid_client');
    await expectTokens(await refreshWithKey(client, k1, first.refresh_token));
  });

  it('a public client whose document switched to private_key_jwt cannot refresh its earlier grant', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const first = await signInPublic(client);
    client.update({
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [k1.publicJwk] },
    });
    t.clock.advance(PAST_CACHES);
    const response = await t.token({
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token ?? '',
      ...(await t.auth(client.clientId, k1)),
    });
    const body = await expectOAuthError(response, 'invalid_grant');
    expect(body.error_description).toMatch(/token_endpoint_auth_method changed/);
  });

  it('a private_key_jwt client whose document switched to none cannot refresh with client_id only', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1], 'jwks');
    const first = await signInWithKey(client, k1);
    client.update({
      token_endpoint_auth_method: 'none',
      jwks: undefined,
      token_endpoint_auth_signing_alg: undefined,
    });
    t.clock.advance(PAST_CACHES);
    await expectOAuthError(
      await t.token({
        grant_type: 'refresh_token',
        client_id: client.clientId,
        refresh_token: first.refresh_token ?? '',
      }),
      'invalid_grant',
    );
  });
});

describe('key binding and key rotation (PKJ-17, CIMD-AS-20)', () => {
  it('PKJ-17: the family stays bound to the key that signed, across refreshes', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1]);
    const first = await signInWithKey(client, k1);
    const second = await expectTokens(await refreshWithKey(client, k1, first.refresh_token));
    expect((await familyOf(second.refresh_token))?.keyThumbprint).toBe(
      await calculateJwkThumbprint(k1.publicJwk),
    );
  });

  it('PKJ-17: rotation (stage K2, promote K2, retire K1) never breaks a refresh; the family follows the key', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1]);
    let body = await signInWithKey(client, k1);

    client.publish(k1, k2); // stage: both published, still signing with K1
    t.clock.advance(PAST_CACHES);
    body = await expectTokens(await refreshWithKey(client, k1, body.refresh_token));

    body = await expectTokens(await refreshWithKey(client, k2, body.refresh_token)); // promote
    expect((await familyOf(body.refresh_token))?.keyThumbprint).toBe(
      await calculateJwkThumbprint(k2.publicJwk),
    );

    client.publish(k2); // retire K1
    t.clock.advance(PAST_CACHES);
    body = await expectTokens(await refreshWithKey(client, k2, body.refresh_token));
    expect(body.refresh_token).toBeDefined();
  });

  it('an identity field change (client_name, logo_uri) does not break a refresh; the family re-records the fingerprint', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const first = await signInPublic(client);
    const before = (await familyOf(first.refresh_token))?.clientFingerprint;
    client.update({ client_name: 'Renamed client', logo_uri: 'https://example.com/logo.png' });
    t.clock.advance(PAST_CACHES);
    const second = await expectTokens(await refreshPublic(client, first.refresh_token));
    const current = (await t.server.context.registry.resolveClient(client.clientId)).fingerprint;
    expect(current).not.toBe(before);
    expect((await familyOf(second.refresh_token))?.clientFingerprint).toBe(current);
  });

  it('PKJ-17: with inline jwks, a rotation changes the document fingerprint and the refresh re-records it', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1], 'jwks');
    const first = await signInWithKey(client, k1);
    const before = (await familyOf(first.refresh_token))?.clientFingerprint;
    client.publish(k1, k2);
    t.clock.advance(PAST_CACHES);
    const second = await expectTokens(await refreshWithKey(client, k2, first.refresh_token));
    const family = await familyOf(second.refresh_token);
    const current = (await t.server.context.registry.resolveClient(client.clientId)).fingerprint;
    expect(family?.clientFingerprint).toBe(current);
    expect(current).not.toBe(before);
    expect(family?.keyThumbprint).toBe(await calculateJwkThumbprint(k2.publicJwk));
  });

  it('CIMD-AS-20: once the bound key left the document, a refresh signed by another published key is invalid_grant and the family is revoked', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1]);
    const first = await signInWithKey(client, k1);
    client.publish(k2);
    t.clock.advance(PAST_CACHES);
    const body = await expectOAuthError(
      await refreshWithKey(client, k2, first.refresh_token),
      'invalid_grant',
    );
    expect(body.error_description).toMatch(/no longer in the client's published keys/);
    client.publish(k1, k2);
    t.clock.advance(PAST_CACHES);
    await expectOAuthError(await refreshWithKey(client, k1, first.refresh_token), 'invalid_grant');
    expect(t.logs.some((line) => line.fields.reason === 'key_removed')).toBe(true);
  });

  it('CIMD-AS-20: a refresh signed by a removed key is invalid_client', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1]);
    const first = await signInWithKey(client, k1);
    client.publish(k2);
    t.clock.advance(PAST_CACHES);
    await expectOAuthError(await refreshWithKey(client, k1, first.refresh_token), 'invalid_client');
  });

  it('PKJ-17: a refresh signed by the new key re-binds the family even before the old key is seen to leave', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1, k2]);
    const first = await signInWithKey(client, k1);
    client.publish(k2);
    // Within the key set's freshness the cached set (still holding K1) is used; K2 signs, so the family moves to K2.
    const second = await expectTokens(await refreshWithKey(client, k2, first.refresh_token));
    expect((await familyOf(second.refresh_token))?.keyThumbprint).toBe(
      await calculateJwkThumbprint(k2.publicJwk),
    );
    t.clock.advance(PAST_CACHES);
    await expectTokens(await refreshWithKey(client, k2, second.refresh_token));
  });
});
