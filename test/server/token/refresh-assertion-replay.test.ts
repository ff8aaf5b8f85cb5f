/**
 * A refresh grant records its client assertion's `jti` in the same store step as the rotation
 * (`Store.recordJtiAndRotate`) where the store offers it, and just before it where not. Either
 * way an assertion is single-use (PKJ-09): a replay rotates and revokes nothing, and an
 * assertion that came with a refused refresh is used up all the same. Run on the memory store,
 * on SQLite, and on a store without the combined step.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CimdError } from '../../../src/errors.js';
import type { ServerEvent } from '../../../src/server/events.js';
import type { Store } from '../../../src/store/index.js';
import { createMemoryStore } from '../../../src/store/memory/memory-store.js';
import { createSqliteStore } from '../../../src/store/sqlite/index.js';
import {
  type CimdHost,
  codeParams,
  createClock,
  createKey,
  createTestServer,
  expectOAuthError,
  expectTokens,
  type KeyClient,
  keyClient,
  startCimdHost,
  type TestKey,
  type TestServer,
  type TokenBody,
} from './harness.js';

let host: CimdHost;
let key: TestKey;
let otherKey: TestKey;
let t: TestServer;
let events: ServerEvent[];

beforeAll(async () => {
  host = await startCimdHost();
  key = await createKey('k1');
  otherKey = await createKey('k2');
});
afterAll(async () => {
  await host.close();
});
afterEach(async () => {
  await t?.close();
});

/** A store without the combined step: the server records the jti, then rotates. */
function withoutCombinedStep(store: Store): Store {
  const { recordJtiAndRotate: _omitted, ...rest } = store;
  return rest as Store;
}

// The server's clock starts at the same instant and these tests never move it.
const now = createClock().now;
const stores: [string, () => Promise<Store>][] = [
  ['memory store', async () => createMemoryStore({ now })],
  ['SQLite store', async () => createSqliteStore({ path: ':memory:', now })],
  ['store without recordJtiAndRotate', async () => withoutCombinedStep(createMemoryStore({ now }))],
];

/** Expects the `invalid_client` refusal of a used assertion. */
async function expectReplayRefused(response: Response): Promise<void> {
  const { error_description } = await expectOAuthError(response, 'invalid_client');
  expect(error_description).toMatch(/already used/);
}

/** Runs the code exchange for `client` with an assertion signed by `signer`; its token body. */
async function signIn(client: KeyClient, signer: TestKey): Promise<TokenBody> {
  const { client_id: _id, ...params } = codeParams(client.clientId, await t.issueCode(client.clientId));
  return expectTokens(await t.token({ ...params, ...(await t.auth(client.clientId, signer)) }));
}

/** A refresh grant with `refreshToken` and the assertion parameters `auth`. */
function refresh(refreshToken: string | undefined, auth: Record<string, string>, extra = {}) {
  return t.token({ grant_type: 'refresh_token', refresh_token: refreshToken ?? '', ...auth, ...extra });
}

describe.each(stores)('on the %s', (_name, openStore) => {
  let client: KeyClient;

  async function start(): Promise<TokenBody> {
    events = [];
    t = await createTestServer(host, {
      store: await openStore(),
      observers: [(event) => events.push(event)],
    });
    client = keyClient(host, [key]);
    return signIn(client, key);
  }

  const freshAuth = () => t.auth(client.clientId, key);

  it('PKJ-09: an assertion used for a refresh is refused the second time, and rotates nothing', async () => {
    const first = await start();
    const assertion = await freshAuth();
    const second = await expectTokens(await refresh(first.refresh_token, assertion));
    await expectReplayRefused(await refresh(second.refresh_token, assertion));
    // The replay did not use up the current token.
    await expectTokens(await refresh(second.refresh_token, await freshAuth()));
    const replays = events.filter((event) => event.type === 'replay.detected');
    expect(replays).toEqual([expect.objectContaining({ kind: 'jti', clientId: client.clientId })]);
  });

  it('PKJ-09: a replayed assertion with an earlier refresh token is refused without revoking the family', async () => {
    const first = await start();
    const assertion = await freshAuth();
    const second = await expectTokens(await refresh(first.refresh_token, assertion));
    await expectReplayRefused(await refresh(first.refresh_token, assertion));
    await expectTokens(await refresh(second.refresh_token, await freshAuth()));
  });

  it('PKJ-09: an assertion that came with a refused refresh is used up all the same', async () => {
    const first = await start();
    const withUnknownToken = await freshAuth();
    await expectOAuthError(await refresh('not-a-refresh-token', withUnknownToken), 'invalid_grant');
    await expectReplayRefused(await refresh(first.refresh_token, withUnknownToken));
    const withWiderScope = await freshAuth();
    await expectOAuthError(
      await refresh(first.refresh_token, withWiderScope, { scope: 'admin' }),
      'invalid_scope',
    );
    await expectReplayRefused(await refresh(first.refresh_token, withWiderScope));
    await expectTokens(await refresh(first.refresh_token, await freshAuth()));
  });

  it('PKJ-09: an assertion replayed with a refused refresh is answered as the replay it is', async () => {
    const first = await start();
    const assertion = await freshAuth();
    await expectTokens(await refresh(first.refresh_token, assertion));
    await expectReplayRefused(await refresh('not-a-refresh-token', assertion));
  });

  it('PKJ-09: of 20 concurrent refreshes of one token with one assertion exactly one succeeds', async () => {
    const first = await start();
    const assertion = await freshAuth();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => refresh(first.refresh_token, assertion)),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    const refused = await Promise.all(
      responses
        .filter((r) => r.status !== 200)
        .map(async (r) => ((await r.json()) as { error: string }).error),
    );
    expect(new Set(refused)).toEqual(new Set(['invalid_client']));
  });
});

describe('the jti stays pending until a store step recorded it', () => {
  it('PKJ-09: the combined step is used: a refresh records no jti on its own', async () => {
    const store = createMemoryStore({ now });
    let separateRecords = 0;
    let combinedSteps = 0;
    const watched: Store = {
      ...store,
      recordJti: (...args) => {
        separateRecords++;
        return store.recordJti(...args);
      },
      recordJtiAndRotate: (...args) => {
        combinedSteps++;
        return (store.recordJtiAndRotate as NonNullable<Store['recordJtiAndRotate']>)(...args);
      },
    };
    t = await createTestServer(host, { store: watched });
    const client = keyClient(host, [key]);
    const first = await signIn(client, key);
    const recordsAfterSignIn = separateRecords;
    await expectTokens(await refresh(first.refresh_token, await t.auth(client.clientId, key)));
    expect({ separateRecords: separateRecords - recordsAfterSignIn, combinedSteps }).toEqual({
      separateRecords: 0,
      combinedSteps: 1,
    });
  });

  it('PKJ-09: when the combined step fails, the assertion is still used up', async () => {
    const store = createMemoryStore({ now });
    let failNext = false;
    const flaky: Store = {
      ...store,
      recordJtiAndRotate: (...args) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(new CimdError('ERR_STORE_UNAVAILABLE', 'the store is unreachable'));
        }
        return (store.recordJtiAndRotate as NonNullable<Store['recordJtiAndRotate']>)(...args);
      },
    };
    t = await createTestServer(host, { store: flaky });
    const client = keyClient(host, [key]);
    const first = await signIn(client, key);
    const assertion = await t.auth(client.clientId, key);
    failNext = true;
    const failed = await refresh(first.refresh_token, assertion);
    expect(failed.status).toBeGreaterThanOrEqual(500);
    await expectReplayRefused(await refresh(first.refresh_token, assertion));
    await expectTokens(await refresh(first.refresh_token, await t.auth(client.clientId, key)));
  });

  it('PKJ-09, CIMD-AS-20: a replayed assertion does not revoke a family whose key left the document', async () => {
    t = await createTestServer(host, { store: createMemoryStore({ now }) });
    const client = keyClient(host, [key, otherKey]);
    const boundToRemoved = await signIn(client, key);
    const boundToKept = await signIn(client, otherKey);
    // An assertion signed by the key that stays, used once.
    const used = await t.auth(client.clientId, otherKey);
    await expectTokens(await refresh(boundToKept.refresh_token, used));
    client.publish(otherKey);
    t.clock.advance(61_000); // past the key set's cache
    await expectReplayRefused(await refresh(boundToRemoved.refresh_token, used));
    expect((await t.store.listRefreshFamilies({ clientId: client.clientId })).length).toBe(2);
    expect(t.logs.some((line) => line.fields.event === 'refresh_family_revoked')).toBe(false);
    // A fresh assertion by the kept key meets the removed key: that family ends now.
    await expectOAuthError(
      await refresh(boundToRemoved.refresh_token, await t.auth(client.clientId, otherKey)),
      'invalid_grant',
    );
    expect((await t.store.listRefreshFamilies({ clientId: client.clientId })).length).toBe(1);
  });
});
