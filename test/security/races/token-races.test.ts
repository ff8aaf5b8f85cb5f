/**
 * Issue 9, "races" at the token endpoint: one authorization code, one refresh token and one
 * client assertion (`jti`), each presented by many concurrent requests, give exactly one success.
 * The requests alternate between two authorization-server instances sharing one store (as behind
 * a load balancer), and everything runs once on the memory store and once on SQLite: the atomic
 * store operation decides, never a per-process cache.
 *
 * What the server does with the losers is pinned too:
 * - code (PKCE-AS-08): every other redemption is `invalid_grant`, and each one, being a valid
 *   replay, revokes the grant: the winner's refresh token is dead afterwards, even though its
 *   family was created while the replays ran (the store keeps the grant marked revoked);
 * - refresh token (MCP-AS-13, the store's strict reuse detection, no grace window): every other
 *   rotation is `invalid_grant` and revokes the family, so the winner's new refresh token is dead;
 * - client assertion (PKJ-09): every other request is `invalid_client` ("already used"), and its
 *   code is untouched (client authentication comes before the grant), so a replayed assertion
 *   burns no one's code.
 *
 * In process (`server.fetch`) for speed; `loopback.test.ts` runs the same races over sockets.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sha256Base64url } from '../../../src/server/crypto.js';
import { type AuthorizationServer, createAuthorizationServer, devLogin } from '../../../src/server/index.js';
import type { Logger } from '../../../src/server/logger.js';
import { createSqliteStore } from '../../../src/store/sqlite/index.js';
import type { Store } from '../../../src/store/store.js';
import {
  type CimdHost,
  codeParams,
  createClock,
  createKey,
  createTestServer,
  expectOAuthError,
  expectTokens,
  ISSUER,
  type KeyClient,
  keyClient,
  OTHER_RESOURCE,
  publicClient,
  RESOURCE,
  startCimdHost,
  type TestKey,
  type TestServer,
} from '../../server/token/harness.js';

const CONCURRENCY = 100;

let host: CimdHost;
let key: TestKey;

beforeAll(async () => {
  host = await startCimdHost();
  key = await createKey('race-key');
});
afterAll(async () => {
  await host.close();
});

/** Two instances on one store: the harness's, and a second one built the same way. */
interface Pair {
  t: TestServer;
  other: AuthorizationServer;
  /** POSTs /token to instance `i % 2`. */
  token(i: number, params: Record<string, string>): Promise<Response>;
}

/** A logger writing into the harness instance's log lines, so both instances log to one place. */
function sharedLogger(t: TestServer): Logger {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message?: string): void => {
      t.logs.push({ level, fields, message });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function openPair(t: TestServer): Pair {
  const other = createAuthorizationServer({
    issuer: ISSUER,
    resources: [RESOURCE, OTHER_RESOURCE],
    store: t.store,
    authenticator: devLogin({ now: t.clock.now }),
    now: t.clock.now,
    logger: sharedLogger(t),
    clients: {
      allowPrivateNetwork: true,
      fetchOptions: { ca: host.ca.caCert },
      fetchBudget: { requestsPerMinute: 100_000, maxConcurrent: 16 },
    },
  });
  return {
    t,
    other,
    token: (i, params) =>
      i % 2 === 0
        ? t.token(params)
        : other.fetch(
            new Request(`${ISSUER}/token`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams(params),
            }),
          ),
  };
}

/** Statuses and `error`s of the responses, counted. */
async function tally(responses: Response[]): Promise<{ counts: Record<string, number>; bodies: unknown[] }> {
  const counts: Record<string, number> = {};
  const bodies: unknown[] = [];
  for (const response of responses) {
    const body = (await response.json()) as { error?: string };
    bodies.push(body);
    const key = `${response.status} ${body.error ?? 'tokens'}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return { counts, bodies };
}

function warnings(t: TestServer, event: string): number {
  return t.logs.filter((line) => line.fields.event === event).length;
}

const STORES: Array<[string, () => Promise<Store | undefined>]> = [
  ['memory store', async () => undefined],
  [
    'SQLite store',
    // The harness clock starts at T0 and stands still; the store's clock starts there too.
    async () => createSqliteStore({ path: ':memory:', now: createClock().now, cleanupIntervalMs: 0 }),
  ],
];

describe.each(STORES)('on the %s, two instances', (_name, makeStore) => {
  let pair: Pair;

  afterEach(async () => {
    await pair?.other.close();
    await pair?.t.close();
  });

  async function open(): Promise<Pair> {
    const store = await makeStore();
    pair = openPair(await createTestServer(host, store === undefined ? {} : { store }));
    return pair;
  }

  it(`one authorization code redeemed by ${CONCURRENCY} concurrent requests: exactly one 200, the rest invalid_grant; each replay revokes the grant, so the winner's refresh token is refused`, async () => {
    const { t, token } = await open();
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    const params = codeParams(client.clientId, issued);
    const responses = await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => token(i, params)));
    const { counts, bodies } = await tally(responses);
    expect(counts).toEqual({ '200 tokens': 1, '400 invalid_grant': CONCURRENCY - 1 });

    const winner = bodies.find((body) => (body as { access_token?: string }).access_token) as {
      refresh_token: string;
    };
    expect(typeof winner.refresh_token).toBe('string');
    const refresh = await t.token({
      grant_type: 'refresh_token',
      client_id: client.clientId,
      refresh_token: winner.refresh_token,
    });
    await expectOAuthError(refresh, 'invalid_grant');
    // Each losing request was a replay with the right verifier: each revoked the grant and said so.
    expect(warnings(t, 'code_replayed')).toBe(CONCURRENCY - 1);
  });

  it(`one refresh token rotated by ${CONCURRENCY} concurrent requests: exactly one 200, the rest invalid_grant; the reuse revokes the family, so the new refresh token is refused too`, async () => {
    const { t, token } = await open();
    const client = publicClient(host);
    const first = await expectTokens(
      await t.token(codeParams(client.clientId, await t.issueCode(client.clientId))),
    );
    const params = {
      grant_type: 'refresh_token',
      client_id: client.clientId,
      refresh_token: first.refresh_token as string,
    };
    const responses = await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => token(i, params)));
    const { counts, bodies } = await tally(responses);
    expect(counts).toEqual({ '200 tokens': 1, '400 invalid_grant': CONCURRENCY - 1 });

    const winner = bodies.find((body) => (body as { access_token?: string }).access_token) as {
      refresh_token: string;
    };
    expect(winner.refresh_token).not.toBe(first.refresh_token);
    await expectOAuthError(
      await token(0, { ...params, refresh_token: winner.refresh_token }),
      'invalid_grant',
    );
    await expectOAuthError(
      await token(1, { ...params, refresh_token: winner.refresh_token }),
      'invalid_grant',
    );
    // Each losing rotation presented a used token: each revoked the family and said so.
    expect(warnings(t, 'refresh_token_reused')).toBe(CONCURRENCY - 1);
  });

  it('one client assertion (one jti) sent with 50 concurrent code exchanges of a private_key_jwt client: exactly one 200, the rest invalid_client "already used"; their codes are untouched and redeem later', async () => {
    const { t, token } = await open();
    const client: KeyClient = keyClient(host, [key]);
    // Warm up: each instance loads the client's document and key set once, outside the race.
    for (const i of [0, 1]) {
      const { client_id: _warm, ...warm } = codeParams(client.clientId, await t.issueCode(client.clientId));
      await expectTokens(await token(i, { ...warm, ...(await t.auth(client.clientId, key)) }));
    }

    const count = 50;
    const assertion = await t.auth(client.clientId, key);
    const codes = await Promise.all(Array.from({ length: count }, () => t.issueCode(client.clientId)));
    const responses = await Promise.all(
      codes.map((issued, i) => {
        const { client_id: _id, ...params } = codeParams(client.clientId, issued);
        return token(i, { ...params, ...assertion });
      }),
    );
    const { counts, bodies } = await tally(responses);
    expect(counts).toEqual({ '200 tokens': 1, '401 invalid_client': count - 1 });
    for (const body of bodies) {
      const { error, error_description } = body as { error?: string; error_description?: string };
      if (error !== undefined) expect(error_description).toContain('already used');
    }

    // A losing request's code was not consumed: it redeems with a fresh assertion.
    const loser = responses.findIndex((response) => response.status === 401);
    const { client_id: _id, ...params } = codeParams(client.clientId, codes[loser]!);
    await expectTokens(await t.token({ ...params, ...(await t.auth(client.clientId, key)) }));
    // The winner's code is gone.
    const winnerIndex = responses.findIndex((response) => response.status === 200);
    const winnerCode = await t.store.consumeCode(await sha256Base64url(codes[winnerIndex]!.code));
    expect(winnerCode.status).toBe('reused');
  });
});
