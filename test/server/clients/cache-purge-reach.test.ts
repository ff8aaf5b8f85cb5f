/**
 * `purgeSharedClientCache` (behind `cimd admin cache purge`) reaches running authorization
 * servers: two servers sharing one real store (memory, SQLite, PostgreSQL, Redis) both hold a
 * client document, or a `private_key_jwt` client's key set, in process, fresh for an hour; the
 * host then serves a changed one, which neither server sees (its copy is fresh); after the purge
 * both use the new one within a bounded wait, fetched again from the host. A purge log that
 * cannot be read never breaks a request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeSharedClientCache } from '../../../src/server/clients/cache-purge.js';
import { CACHE_PURGE_STATE } from '../../../src/server/clients/purge-log.js';
import { type AuthorizationServer, createAuthorizationServer, devLogin } from '../../../src/server/index.js';
import type { Store } from '../../../src/store/store.js';
import { type HttpsHost, startHttpsHost } from '../../helpers/https-host.js';
import { createTestCa, type TestCa } from '../../helpers/test-ca.js';
import { adminClient, REDIS_URL } from '../../store/redis/redis-server.js';
import { createKey, ISSUER, RESOURCE, signAssertion, type TestKey } from '../token/harness.js';
import { BACKENDS, type SharedStore } from './shared-stores.js';

/** How often the servers under test read the purge log, ms. */
const POLL_MS = 50;
/** The longest a test waits for a purge to reach the servers, ms. */
const WAIT_MS = 10_000;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const REDIRECT = 'http://127.0.0.1:51004/callback';
const OTHER_REDIRECT = 'http://127.0.0.1:51004/other-callback';

let ca: TestCa;
let host: HttpsHost;
let counter = 0;

beforeAll(async () => {
  ca = createTestCa();
  host = await startHttpsHost(ca);
});
afterAll(async () => {
  await host.close();
  ca.dispose();
});

/** Serves `body` at `path`, cacheable for an hour. */
function serve(path: string, body: unknown): void {
  host.route(path, (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' });
    res.end(JSON.stringify(body));
  });
}

/** A client document at a fresh path, and how to change it. */
function servedClient(extra: Record<string, unknown> = {}) {
  counter += 1;
  const path = `/p${counter}/client.json`;
  const clientId = `${host.origin}${path}`;
  const document = (changes: Record<string, unknown>) => ({
    client_id: clientId,
    client_name: 'Purge test client',
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...extra,
    ...changes,
  });
  serve(path, document({}));
  return {
    clientId,
    path,
    update: (changes: Record<string, unknown>) => serve(path, document(changes)),
    fetches: () => host.hits.get(path) ?? 0,
  };
}

function startServer(store: Store, options: { poll?: number; logs?: string[] } = {}): AuthorizationServer {
  const logs = options.logs;
  const record = (level: string) => (_fields: Record<string, unknown>, message?: string) =>
    logs?.push(`${level}: ${message ?? ''}`);
  return createAuthorizationServer({
    issuer: ISSUER,
    resources: [RESOURCE],
    store,
    authenticator: devLogin(),
    rateLimit: false,
    cachePurgePollMs: options.poll ?? POLL_MS,
    clients: { allowPrivateNetwork: true, fetchOptions: { ca: ca.caCert } },
    clientAssertions: { kidRefetchCooldownMs: 3_600_000 },
    logger: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
  });
}

/** GET /authorize for `clientId` redirecting to `redirectUri`: 200 (sign-in) when the document lists it, 400 when not. */
async function authorize(
  server: AuthorizationServer,
  clientId: string,
  redirectUri: string,
): Promise<number> {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    state: 'st',
    resource: RESOURCE,
  });
  const response = await server.fetch(new Request(`${ISSUER}/authorize?${query}`));
  await response.body?.cancel();
  return response.status;
}

/**
 * POST /token (an unknown code) authenticating with `key`: 400 `invalid_grant` once the client
 * authenticated, 401 `invalid_client` when the key is not in the key set the server holds.
 */
async function tokenWith(server: AuthorizationServer, clientId: string, key: TestKey): Promise<number> {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: 'no-such-code',
    redirect_uri: REDIRECT,
    code_verifier: 'v'.repeat(43),
    client_assertion_type: JWT_BEARER,
    client_assertion: await signAssertion(clientId, key, Date.now()),
  });
  const response = await server.fetch(
    new Request(`${ISSUER}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    }),
  );
  await response.body?.cancel();
  return response.status;
}

/** Waits (bounded) until `condition` holds; fails the test when it never does. */
async function eventually(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS / 2));
  }
}

async function withServers(
  shared: SharedStore,
  test: (servers: AuthorizationServer[], purge: (url: string) => Promise<unknown>) => Promise<void>,
): Promise<void> {
  const servers = [startServer(await shared.connect()), startServer(await shared.connect())];
  try {
    const admin = await shared.connect();
    await test(servers, (url) => purgeSharedClientCache(admin, url));
  } finally {
    await Promise.all(servers.map((server) => server.close()));
    await shared.dispose();
  }
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`a purge reaches running servers (${backend.name})`, () => {
    if (backend.skip !== undefined) console.warn(`Skipping the ${backend.name} purge tests: ${backend.skip}`);

    it('both servers drop their copy of a purged document and fetch it again', {
      timeout: 30_000,
    }, async () => {
      await withServers(await backend.open(), async (servers, purge) => {
        const client = servedClient();
        for (const server of servers) expect(await authorize(server, client.clientId, REDIRECT)).toBe(200);
        client.update({ redirect_uris: [OTHER_REDIRECT] });
        // Each server holds the old document, fresh for an hour: the change is not seen yet.
        for (const server of servers) expect(await authorize(server, client.clientId, REDIRECT)).toBe(200);
        const fetched = client.fetches();

        await purge(client.clientId);
        for (const [index, server] of servers.entries()) {
          await eventually(
            async () => (await authorize(server, client.clientId, REDIRECT)) === 400,
            `server ${index} refusing the redirect URI the purged document no longer lists`,
          );
          expect(await authorize(server, client.clientId, OTHER_REDIRECT)).toBe(200);
        }
        expect(client.fetches()).toBeGreaterThan(fetched);
      });
    });

    it("both servers drop their copy of a purged client's key set and fetch it again", {
      timeout: 30_000,
    }, async () => {
      await withServers(await backend.open(), async (servers, purge) => {
        const [removed, added] = [await createKey('k-old'), await createKey('k-new')];
        counter += 1;
        const jwksPath = `/p${counter}/jwks.json`;
        serve(jwksPath, { keys: [removed.publicJwk] });
        const client = servedClient({
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          jwks_uri: `${host.origin}${jwksPath}`,
        });
        for (const server of servers) expect(await tokenWith(server, client.clientId, removed)).toBe(400);
        serve(jwksPath, { keys: [added.publicJwk] }); // the client replaced a compromised key
        for (const server of servers) expect(await tokenWith(server, client.clientId, removed)).toBe(400);
        const fetched = host.hits.get(jwksPath) ?? 0;

        await purge(client.clientId);
        for (const [index, server] of servers.entries()) {
          await eventually(
            async () => (await tokenWith(server, client.clientId, removed)) === 401,
            `server ${index} refusing the key its client removed`,
          );
          expect(await tokenWith(server, client.clientId, added)).toBe(400);
        }
        expect(host.hits.get(jwksPath) ?? 0).toBeGreaterThan(fetched);
      });
    });
  });
}

describe('a purge reaches running servers (memory, no shared cache tier)', () => {
  it('each server fetches the purged document again from the host itself', {
    timeout: 30_000,
  }, async () => {
    const shared = await BACKENDS[0]?.open();
    if (shared === undefined) throw new Error('no memory backend');
    const store = await shared.connect();
    const servers = [0, 1].map(() =>
      createAuthorizationServer({
        issuer: ISSUER,
        resources: [RESOURCE],
        store,
        authenticator: devLogin(),
        rateLimit: false,
        cachePurgePollMs: POLL_MS,
        clients: { allowPrivateNetwork: true, fetchOptions: { ca: ca.caCert }, cache: { shared: false } },
      }),
    );
    try {
      const client = servedClient();
      for (const server of servers) expect(await authorize(server, client.clientId, REDIRECT)).toBe(200);
      const fetched = client.fetches();
      for (const server of servers) expect(await authorize(server, client.clientId, REDIRECT)).toBe(200);
      expect(client.fetches()).toBe(fetched); // both copies are fresh

      await purgeSharedClientCache(store, client.clientId);
      client.update({ redirect_uris: [OTHER_REDIRECT] });
      for (const server of servers) {
        await eventually(
          async () => (await authorize(server, client.clientId, REDIRECT)) === 400,
          'the server refusing the old redirect URI',
        );
      }
      expect(client.fetches()).toBe(fetched + servers.length);
    } finally {
      await Promise.all(servers.map((server) => server.close()));
      await shared.dispose();
    }
  });
});

describe.skipIf(REDIS_URL === undefined && process.env.CI !== 'true')(
  'a purge log that cannot be read (Redis)',
  () => {
    it('is logged once at warn and never breaks a request; once readable, purges reach the server again', {
      timeout: 30_000,
    }, async () => {
      const redis = BACKENDS.find((backend) => backend.name === 'Redis');
      const shared = await redis?.open();
      if (shared === undefined) throw new Error('no Redis backend');
      const logs: string[] = [];
      const server = startServer(await shared.connect(), { logs });
      const inspector = adminClient();
      try {
        const client = servedClient();
        expect(await authorize(server, client.clientId, REDIRECT)).toBe(200);
        // The log's key holds a list now: every read of it fails (WRONGTYPE), nothing else does.
        const key = `${shared.namespace}state:${CACHE_PURGE_STATE}`;
        await inspector.del(key);
        await inspector.rpush(key, 'not a purge log');
        await eventually(
          async () => logs.some((line) => line.startsWith('warn: cannot read the cache purge log')),
          'the failing read logged',
        );
        for (let request = 0; request < 5; request += 1) {
          expect(await authorize(server, client.clientId, REDIRECT)).toBe(200);
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        }
        expect(logs.filter((line) => line.startsWith('warn:'))).toHaveLength(1);

        await inspector.del(key);
        client.update({ redirect_uris: [OTHER_REDIRECT] });
        await purgeSharedClientCache(await shared.connect(), client.clientId);
        await eventually(
          async () => (await authorize(server, client.clientId, REDIRECT)) === 400,
          'the purge reaching the server once the log is readable',
        );
        expect(logs).toContain('info: the cache purge log can be read from the store again');
      } finally {
        await inspector.quit();
        await server.close();
        await shared.dispose();
      }
    });
  },
);
