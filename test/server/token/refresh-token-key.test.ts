/**
 * Refresh tokens lead with the time they were issued, and are stored under that time and their
 * SHA-256 (`refreshTokenKey`): keys grow with time, so a rotation writes at the end of the store's
 * index. Tokens issued before the prefix (43 characters, stored under the hash alone) keep working
 * at /token and /revoke.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sha256Base64url } from '../../../src/server/crypto.js';
import { newRefreshToken, refreshTokenKey } from '../../../src/server/grants/issue-tokens.js';
import {
  type CimdHost,
  codeParams,
  createTestServer,
  expectOAuthError,
  expectTokens,
  publicClient,
  RESOURCE,
  startCimdHost,
  type TestClient,
  type TestServer,
} from './harness.js';

const TIMED = /^[0-9a-f]{12}[A-Za-z0-9_-]{43}$/;

let host: CimdHost;
let t: TestServer;

beforeAll(async () => {
  host = await startCimdHost();
});
afterAll(async () => {
  await host.close();
});
afterEach(async () => {
  await t?.close();
});

describe('refreshTokenKey and newRefreshToken', () => {
  it('a new token is the issuing time in 12 hex digits, then 32 random bytes in base64url', async () => {
    const issuedAt = Date.UTC(2026, 11, 5, 9, 30, 0, 123);
    const { token, hash } = await newRefreshToken(issuedAt);
    expect(token).toMatch(TIMED);
    expect(Number.parseInt(token.slice(0, 12), 16)).toBe(issuedAt);
    expect(hash).toBe(await refreshTokenKey(token));
    expect((await newRefreshToken(issuedAt)).token).not.toBe(token);
  });

  it('the key is the time prefix and the SHA-256 of the whole token; the token itself is not in it', async () => {
    const { token, hash } = await newRefreshToken(Date.UTC(2026, 0, 1));
    expect(hash).toBe(`${token.slice(0, 12)}${await sha256Base64url(token)}`);
    expect(hash).not.toContain(token.slice(12));
    // Another token with the same time prefix has another key.
    const twin = `${token.slice(0, 12)}${(await newRefreshToken(0)).token.slice(12)}`;
    expect(await refreshTokenKey(twin)).not.toBe(hash);
  });

  it('keys of later tokens sort after earlier ones', async () => {
    const keys = [];
    for (const at of [Date.UTC(2026, 0, 1), Date.UTC(2026, 5, 1), Date.UTC(2027, 0, 1)]) {
      keys.push((await newRefreshToken(at)).hash);
    }
    expect([...keys].sort()).toEqual(keys);
  });

  it('a 43-character token from before the time prefix, or any other string, is keyed by its SHA-256 alone', async () => {
    const legacy = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    expect(await refreshTokenKey(legacy)).toBe(await sha256Base64url(legacy));
    for (const junk of [
      '',
      'x',
      `${'0'.repeat(12)}short`,
      `ABCDEF012345${legacy}`,
      `0123456789ab${legacy}=`,
    ]) {
      expect(await refreshTokenKey(junk)).toBe(await sha256Base64url(junk));
    }
  });
});

/** A family in the store whose current token is a pre-prefix (43-character) refresh token. */
async function legacyFamily(client: TestClient): Promise<string> {
  const legacy = 'Q2ltZExlZ2FjeVJlZnJlc2hUb2tlbkZvclRoZVRlc3Q';
  expect(legacy).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const { fingerprint } = await t.server.context.registry.resolveClient(client.clientId);
  await t.store.createRefreshFamily(
    {
      familyId: randomUUID(),
      grantId: randomUUID(),
      clientId: client.clientId,
      userId: 'user-legacy',
      authMethod: 'none',
      scope: 'mcp:tools',
      resources: [RESOURCE],
      clientFingerprint: fingerprint,
      createdAt: t.clock.now(),
      expiresAt: t.clock.now() + 86_400_000,
    },
    await sha256Base64url(legacy),
  );
  return legacy;
}

describe('refresh tokens issued before the time prefix', () => {
  it('MCP-AS-13: still refresh (once), and the rotated token has the time prefix', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const legacy = await legacyFamily(client);
    const refresh = { grant_type: 'refresh_token', client_id: client.clientId };
    const body = await expectTokens(await t.token({ ...refresh, refresh_token: legacy }));
    expect(body.refresh_token).toMatch(TIMED);
    expect(Number.parseInt(body.refresh_token?.slice(0, 12) ?? '', 16)).toBe(t.clock.now());
    await expectOAuthError(await t.token({ ...refresh, refresh_token: legacy }), 'invalid_grant');
    // The replay revoked the family: the new token stops working too.
    await expectOAuthError(
      await t.token({ ...refresh, refresh_token: body.refresh_token ?? '' }),
      'invalid_grant',
    );
  });

  it('can be revoked at /revoke', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const legacy = await legacyFamily(client);
    const revoked = await t.post('/revoke', { client_id: client.clientId, token: legacy });
    expect(revoked.status).toBe(200);
    expect(t.logs.map((line) => line.fields)).toContainEqual(
      expect.objectContaining({ event: 'refresh_family_revoked', reason: 'revocation_request' }),
    );
    await expectOAuthError(
      await t.token({ grant_type: 'refresh_token', client_id: client.clientId, refresh_token: legacy }),
      'invalid_grant',
    );
  });
});

describe('refresh tokens with the time prefix', () => {
  it('a code exchange issues one, stored under its key, and it refreshes', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const first = await expectTokens(
      await t.token(codeParams(client.clientId, await t.issueCode(client.clientId))),
    );
    expect(first.refresh_token).toMatch(TIMED);
    const family = await t.store.findRefreshFamily(await refreshTokenKey(first.refresh_token ?? ''));
    expect(family?.clientId).toBe(client.clientId);
    expect(await t.store.findRefreshFamily(await sha256Base64url(first.refresh_token ?? ''))).toBeUndefined();
    const second = await expectTokens(
      await t.token({
        grant_type: 'refresh_token',
        client_id: client.clientId,
        refresh_token: first.refresh_token ?? '',
      }),
    );
    expect(second.refresh_token).toMatch(TIMED);
  });

  it('a token whose time prefix was changed is refused', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const first = await expectTokens(
      await t.token(codeParams(client.clientId, await t.issueCode(client.clientId))),
    );
    const token = first.refresh_token ?? '';
    const shifted = `${(Number.parseInt(token.slice(0, 12), 16) + 1).toString(16).padStart(12, '0')}${token.slice(12)}`;
    await expectOAuthError(
      await t.token({ grant_type: 'refresh_token', client_id: client.clientId, refresh_token: shifted }),
      'invalid_grant',
    );
  });
});
