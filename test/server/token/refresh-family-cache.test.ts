/**
 * The refresh token families an instance remembers by their current token
 * (`src/server/grants/refresh-family-cache.ts`): a refresh that comes back to the instance that
 * issued its token is checked without reading the family first, and everything that can change
 * elsewhere (revocation, expiry, a rotation on another instance, reuse) is still decided by the
 * store's rotation (MCP-AS-13).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { InvalidOptionError } from '../../../src/errors.js';
import { refreshTokenKey } from '../../../src/server/grants/issue-tokens.js';
import {
  createRefreshFamilyCache,
  REFRESH_FAMILY_CACHE_TTL_MS,
  sameFixedFields,
} from '../../../src/server/grants/refresh-family-cache.js';
import { createMemoryStore } from '../../../src/store/index.js';
import type { RefreshFamilyRecord, Store } from '../../../src/store/store.js';
import {
  type CimdHost,
  codeParams,
  createClock,
  createTestServer,
  expectOAuthError,
  expectTokens,
  publicClient,
  startCimdHost,
  type TestClient,
  type TestServer,
  type TokenBody,
} from './harness.js';

function family(overrides: Partial<RefreshFamilyRecord> = {}): RefreshFamilyRecord {
  return {
    familyId: 'family-1',
    grantId: 'grant-1',
    clientId: 'https://client.example/cimd.json',
    userId: 'user-1',
    scope: 'mcp:tools',
    resources: ['https://mcp.example/mcp'],
    authMethod: 'none',
    createdAt: 1_000,
    expiresAt: 10 * REFRESH_FAMILY_CACHE_TTL_MS,
    extra: { authTime: 500 },
    ...overrides,
  };
}

describe('createRefreshFamilyCache', () => {
  it('an entry is used once, and the cache holds no more than its size (the oldest go first)', () => {
    const clock = createClock(0);
    const cache = createRefreshFamilyCache(2, clock.now);
    cache.remember('h1', family({ familyId: 'f1' }));
    expect(cache.take('h1')?.familyId).toBe('f1');
    expect(cache.take('h1')).toBeUndefined();
    cache.remember('h1', family({ familyId: 'f1' }));
    cache.remember('h2', family({ familyId: 'f2' }));
    cache.remember('h3', family({ familyId: 'f3' }));
    expect(cache.size).toBe(2);
    expect(cache.take('h1')).toBeUndefined();
    expect(cache.take('h2')?.familyId).toBe('f2');
    expect(cache.take('h3')?.familyId).toBe('f3');
  });

  it("an entry lives at most the TTL, and never past its family's expiry", () => {
    const clock = createClock(0);
    const cache = createRefreshFamilyCache(10, clock.now);
    cache.remember('long', family());
    cache.remember('short', family({ expiresAt: 60_000 }));
    clock.advance(60_000);
    expect(cache.take('short')).toBeUndefined();
    clock.advance(REFRESH_FAMILY_CACHE_TTL_MS - 60_000 - 1);
    cache.remember('again', family());
    expect(cache.take('long')).toBeDefined();
    clock.advance(REFRESH_FAMILY_CACHE_TTL_MS);
    expect(cache.take('again')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('size 0 remembers nothing; the cache keeps its own copy of what it is given', () => {
    const off = createRefreshFamilyCache(0, () => 0);
    off.remember('h', family());
    expect(off.take('h')).toBeUndefined();
    const cache = createRefreshFamilyCache(1, () => 0);
    const record = family();
    cache.remember('h', record);
    record.scope = 'changed by its owner';
    record.resources.push('https://other.example/mcp');
    (record.extra as Record<string, unknown>).authTime = 0;
    expect(cache.take('h')).toStrictEqual(family());
  });

  it('sameFixedFields compares what never changes after creation, not the key or the fingerprint', () => {
    const extra = { authTime: 1, dpopJkt: 'jkt-1' };
    const base = family({ extra });
    expect(sameFixedFields(base, family({ extra: { ...extra } }))).toBe(true);
    expect(sameFixedFields(base, family({ extra, keyThumbprint: 'k2', clientFingerprint: 'fp2' }))).toBe(
      true,
    );
    const changed: Partial<RefreshFamilyRecord>[] = [
      { familyId: 'f2' },
      { grantId: 'g2' },
      { clientId: 'https://other.example/cimd.json' },
      { userId: 'user-2' },
      { authMethod: 'private_key_jwt' },
      { scope: 'mcp:tools admin' },
      { resources: ['https://mcp.example/mcp', 'https://other.example/mcp'] },
      { resources: ['https://other.example/mcp'] },
      { extra: { authTime: 1, dpopJkt: 'jkt-2' } },
      { extra: { authTime: 1 } },
    ];
    for (const overrides of changed) {
      expect(sameFixedFields(base, family({ extra, ...overrides })), JSON.stringify(overrides)).toBe(false);
    }
  });
});

describe('the token endpoint with remembered families (MCP-AS-13)', () => {
  let host: CimdHost;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    host = await startCimdHost();
  });
  afterAll(async () => {
    await host.close();
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });

  async function serverOn(options: Parameters<typeof createTestServer>[1] = {}): Promise<TestServer> {
    const server = await createTestServer(host, options);
    servers.push(server);
    return server;
  }

  async function signIn(t: TestServer, client: TestClient): Promise<TokenBody> {
    return expectTokens(await t.token(codeParams(client.clientId, await t.issueCode(client.clientId))));
  }

  function refresh(t: TestServer, client: TestClient, token: string | undefined, extra = {}) {
    return t.token({
      grant_type: 'refresh_token',
      client_id: client.clientId,
      refresh_token: token ?? '',
      ...extra,
    });
  }

  it('MCP-AS-13: a chain of refreshes on the issuing instance reads no family from the store; reuse still revokes the family', async () => {
    const t = await serverOn();
    const find = vi.spyOn(t.store, 'findRefreshFamily');
    const client = publicClient(host);
    const first = await signIn(t, client);
    const second = await expectTokens(await refresh(t, client, first.refresh_token));
    const third = await expectTokens(await refresh(t, client, second.refresh_token));
    expect(find).not.toHaveBeenCalled();
    await expectOAuthError(await refresh(t, client, second.refresh_token), 'invalid_grant');
    await expectOAuthError(await refresh(t, client, third.refresh_token), 'invalid_grant');
    expect(t.logs.some((line) => line.fields.event === 'refresh_token_reused')).toBe(true);
  });

  it('with refreshFamilyCacheSize 0 every refresh reads its family; a bad size is refused', async () => {
    const t = await serverOn({ refreshFamilyCacheSize: 0 });
    const find = vi.spyOn(t.store, 'findRefreshFamily');
    const client = publicClient(host);
    const first = await signIn(t, client);
    await expectTokens(await refresh(t, client, first.refresh_token));
    expect(find).toHaveBeenCalledTimes(1);
    for (const refreshFamilyCacheSize of [-1, 1.5, Number.NaN]) {
      await expect(serverOn({ refreshFamilyCacheSize })).rejects.toThrow(InvalidOptionError);
    }
  });

  it('PKCE-AS-08: a grant revoked through the store (another instance, the admin CLI) is refused though this instance remembers its family', async () => {
    const t = await serverOn();
    const client = publicClient(host);
    const first = await signIn(t, client);
    const found = await t.store.findRefreshFamily(await refreshTokenKey(first.refresh_token ?? ''));
    await t.store.revokeGrant(found?.grantId ?? '');
    await expectOAuthError(await refresh(t, client, first.refresh_token), 'invalid_grant');
  });

  it('a remembered family past its absolute lifetime is refused', async () => {
    const t = await serverOn({ refreshTokenLifetimeMs: 120_000 });
    const client = publicClient(host);
    const first = await signIn(t, client);
    t.clock.advance(120_000);
    await expectOAuthError(await refresh(t, client, first.refresh_token), 'invalid_grant');
  });

  it('MCP-AS-13: two instances on one store: a token rotated on the other instance and then presented here is reuse, though this instance remembers it', async () => {
    const clock = createClock();
    const store = createMemoryStore({ now: clock.now });
    const a = await serverOn({ store, now: clock.now });
    const b = await serverOn({ store, now: clock.now });
    const client = publicClient(host);
    const first = await signIn(a, client);
    const onB = await expectTokens(await refresh(b, client, first.refresh_token));
    await expectOAuthError(await refresh(a, client, first.refresh_token), 'invalid_grant');
    await expectOAuthError(await refresh(b, client, onB.refresh_token), 'invalid_grant');
  });

  it('a refused refresh (scope beyond the grant) leaves the token usable; the next refresh reads the family from the store', async () => {
    const t = await serverOn();
    const find = vi.spyOn(t.store, 'findRefreshFamily');
    const client = publicClient(host);
    const first = await signIn(t, client);
    await expectOAuthError(
      await refresh(t, client, first.refresh_token, { scope: 'admin' }),
      'invalid_scope',
    );
    await expectTokens(await refresh(t, client, first.refresh_token));
    expect(find).toHaveBeenCalledTimes(1);
  });

  it('fails closed: a family that comes back from the rotation with another scope than the one checked is revoked and the refresh refused', async () => {
    const clock = createClock();
    const inner = createMemoryStore({ now: clock.now });
    const store: Store = {
      ...inner,
      async rotateRefreshToken(oldHash, newHash, changes) {
        const result = await inner.rotateRefreshToken(oldHash, newHash, changes);
        return result.status === 'rotated'
          ? { ...result, family: { ...result.family, scope: 'admin' } }
          : result;
      },
    };
    const t = await serverOn({ store, now: clock.now });
    const client = publicClient(host);
    await signIn(t, client);
    const [live] = await inner.listRefreshFamilies({ clientId: client.clientId });
    expect(live).toBeDefined();
    const second = await signIn(t, client);
    expect(await inner.listRefreshFamilies({ clientId: client.clientId })).toHaveLength(2);
    await expectOAuthError(await refresh(t, client, second.refresh_token), 'invalid_grant');
    const left = await inner.listRefreshFamilies({ clientId: client.clientId });
    expect(left.map((record) => record.familyId)).toStrictEqual([live?.familyId]);
    expect(t.logs.some((line) => line.level === 'error' && line.fields.reason === 'family_changed')).toBe(
      true,
    );
  });
});
