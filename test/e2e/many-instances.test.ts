/**
 * Many instances (issue 11): three `cimd serve` processes (the built bin) on one PostgreSQL
 * database, and again on one Redis, behind a round-robin balancer on loopback whose origin is
 * the issuer. Single-use things stay single-use across processes, a key rotation is served by
 * all, a new CIMD client is fetched once for all, and `kill -9` of one instance under load loses
 * no grant issued before it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientMetadata } from '../../src/document/create.js';
import { createKeySet, generateClientKey, publicJwks, signClientAssertion } from '../../src/keys/index.js';
import { createSecretBox, generateEncryptionKey } from '../../src/server/secrets/secret-box.js';
import { createSigningKeyManager } from '../../src/server/tokens/signing-keys.js';
import { storeSigningKeyStorage } from '../../src/server/tokens/store-signing-key-storage.js';
import type { Store } from '../../src/store/store.js';
import { approveToRedirect } from '../helpers/approve.js';
import { type HttpsHost, json, startHttpsHost } from '../helpers/https-host.js';
import { requireBuiltBin } from '../helpers/run-cli.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';
import { authorizationRequest, type RegisteredClient, registerClient } from '../serve/oauth-client.js';
import { freePort, killAll, type Served, serve } from '../serve/served.js';
import {
  freshPostgresDatabase,
  freshRedisDatabase,
  type SharedBackend,
  testServerUrl,
} from './many-instances/backends.js';
import { type RoundRobinProxy, startRoundRobinProxy } from './many-instances/round-robin-proxy.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const CONCURRENCY = 1000;
/** The Redis logical database this file uses alone. */
const REDIS_DB = 7;
/** Flags every instance starts with beside its port and store. */
const COMMON_FLAGS = [
  '--resource',
  RESOURCE,
  '--allow-private-network',
  '--allow-client-credentials',
  'localhost',
];

interface Backend {
  name: string;
  serverUrl: string | undefined;
  fresh(serverUrl: string): Promise<SharedBackend>;
  open(url: string): Promise<Store>;
}

const BACKENDS: Backend[] = [
  {
    name: 'PostgreSQL',
    serverUrl: testServerUrl('CIMD_TEST_DATABASE_URL'),
    fresh: freshPostgresDatabase,
    open: async (url) =>
      (await import('../../src/store/postgres/index.js')).createPostgresStore({ connectionString: url }),
  },
  {
    name: 'Redis',
    serverUrl: testServerUrl('CIMD_TEST_REDIS_URL'),
    fresh: (serverUrl) => freshRedisDatabase(serverUrl, REDIS_DB),
    open: async (url) => (await import('../../src/store/redis/index.js')).createRedisStore({ url }),
  },
];

let ca: TestCa;
let host: HttpsHost;
let cwd: string;

beforeAll(async () => {
  requireBuiltBin();
  ca = createTestCa();
  host = await startHttpsHost(ca);
  cwd = mkdtempSync(join(tmpdir(), 'cimd-many-'));
});

afterAll(async () => {
  killAll();
  await host?.close();
  ca?.dispose();
  rmSync(cwd, { recursive: true, force: true });
});

/** `count` concurrent runs of `task`, tallied by HTTP status, with one body per status (for messages). */
async function tally(
  count: number,
  task: (i: number) => Promise<Response>,
): Promise<{ counts: Record<number, number>; samples: string }> {
  const answers = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const response = await task(i);
      return { status: response.status, body: await response.text() };
    }),
  );
  const counts: Record<number, number> = {};
  const samples: Record<number, string> = {};
  for (const { status, body } of answers) {
    counts[status] = (counts[status] ?? 0) + 1;
    samples[status] ??= body.slice(0, 300);
  }
  return { counts, samples: JSON.stringify(samples) };
}

/** The error lines the instances logged (for failure messages). */
function serverErrors(instances: Served[]): string {
  const errors = instances.flatMap((instance) =>
    instance.lines.filter((line) => line.level === 'error' || line.level === 'fatal'),
  );
  return JSON.stringify(errors.slice(0, 3));
}

function postToken(issuer: string, params: Record<string, string>): Promise<Response> {
  return fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
}

/** A code for `client` through the balancer: the authorization page, consent, the redirect. */
async function codeFor(client: RegisteredClient): Promise<{ code: string; verifier: string }> {
  const request = authorizationRequest(client);
  const location = await approveToRedirect(request.url);
  expect(location.searchParams.get('state')).toBe(request.state);
  const code = location.searchParams.get('code');
  if (code === null) throw new Error(`no code: ${location.href}`);
  return { code, verifier: request.verifier };
}

function redeemParams(client: RegisteredClient, code: string, verifier: string): Record<string, string> {
  return {
    grant_type: 'authorization_code',
    code,
    redirect_uri: client.redirectUri,
    code_verifier: verifier,
    client_id: client.clientId,
    resource: client.resource,
  };
}

/** A fresh grant's refresh token, through the balancer. */
async function refreshTokenFor(client: RegisteredClient): Promise<string> {
  const { code, verifier } = await codeFor(client);
  const response = await postToken(client.issuer, redeemParams(client, code, verifier));
  const body = (await response.json()) as { refresh_token?: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body.refresh_token ?? '';
}

function refreshParams(client: RegisteredClient, refreshToken: string): Record<string, string> {
  return { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: client.clientId };
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.serverUrl === undefined)(
    `three cimd serve instances on one ${backend.name}`,
    () => {
      const encryptionKey = generateEncryptionKey();
      let shared: SharedBackend;
      let proxy: RoundRobinProxy;
      let instances: Served[] = [];
      let issuer: string;
      let client: RegisteredClient;

      beforeAll(async () => {
        shared = await backend.fresh(backend.serverUrl ?? '');
        const ports = await Promise.all([freePort(), freePort(), freePort()]);
        proxy = await startRoundRobinProxy(ports.map((port) => `http://127.0.0.1:${port}`));
        issuer = proxy.origin;
        instances = await Promise.all(
          ports.map((port) =>
            serve(['--port', String(port), '--issuer', issuer, '--database', shared.url, ...COMMON_FLAGS], {
              cwd,
              env: { CIMD_ENCRYPTION_KEY: encryptionKey, NODE_EXTRA_CA_CERTS: ca.caCertPath },
            }),
          ),
        );
        client = await registerClient(issuer, RESOURCE);
      }, 60_000);

      afterAll(async () => {
        await Promise.all(instances.map((instance) => instance.stop('SIGKILL').catch(() => undefined)));
        await proxy?.close();
        await shared?.dispose();
      });

      it('all three publish the same signing keys', async () => {
        const sets = await Promise.all(
          instances.map(async (instance) => (await fetch(`${instance.listening.url}/jwks`)).json()),
        );
        expect(sets[1]).toStrictEqual(sets[0]);
        expect(sets[2]).toStrictEqual(sets[0]);
      });

      it(`PKCE-AS-08 ${CONCURRENCY} concurrent redemptions of one code: exactly one succeeds`, async () => {
        const { code, verifier } = await codeFor(client);
        const { counts, samples } = await tally(CONCURRENCY, () =>
          postToken(issuer, redeemParams(client, code, verifier)),
        );
        expect(counts, `${samples} ${serverErrors(instances)}`).toStrictEqual({
          200: 1,
          400: CONCURRENCY - 1,
        });
        for (const origin of proxy.live()) expect(proxy.served.get(origin)).toBeGreaterThan(100);
      }, 60_000);

      it(`MCP-AS-13 ${CONCURRENCY} concurrent rotations of one refresh token: exactly one succeeds`, async () => {
        const refreshToken = await refreshTokenFor(client);
        const { counts, samples } = await tally(CONCURRENCY, () =>
          postToken(issuer, refreshParams(client, refreshToken)),
        );
        expect(counts, `${samples} ${serverErrors(instances)}`).toStrictEqual({
          200: 1,
          400: CONCURRENCY - 1,
        });
      }, 60_000);

      it(`PKJ-09 ${CONCURRENCY} concurrent uses of one client assertion by a new CIMD agent: one token, one document fetch`, async () => {
        const path = `/agents/${randomBytes(6).toString('hex')}`;
        const clientId = `${host.origin}${path}/client.json`;
        const keySet = await createKeySet(await generateClientKey('ES256'));
        host.route(
          `${path}/client.json`,
          json(
            createClientMetadata({
              clientId,
              clientName: 'Race agent',
              redirectUris: ['http://127.0.0.1/callback'],
              applicationType: 'native',
              tokenEndpointAuthMethod: 'private_key_jwt',
              jwks: publicJwks(keySet),
              signingAlg: 'ES256',
              grantTypes: ['client_credentials'],
              allowPrivateNetwork: true,
            }).document,
          ),
        );
        const assertion = await signClientAssertion({ keySet, clientId, audience: issuer });
        const { counts, samples } = await tally(CONCURRENCY, () =>
          postToken(issuer, {
            grant_type: 'client_credentials',
            client_id: clientId,
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: assertion,
            resource: RESOURCE,
          }),
        );
        expect(counts, `${samples} ${serverErrors(instances)}`).toStrictEqual({
          200: 1,
          401: CONCURRENCY - 1,
        });
        expect(host.hits.get(`${path}/client.json`)).toBe(1);
      }, 60_000);

      it('a key rotation by one process is published by every instance at once', async () => {
        const before = ((await (await fetch(`${issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys;
        const store = await backend.open(shared.url);
        try {
          const manager = createSigningKeyManager({
            tokenLifetimeMs: 3_600_000,
            storage: storeSigningKeyStorage({ store, box: createSecretBox(encryptionKey) }),
          });
          await manager.rotate();
        } finally {
          await store.close();
        }
        for (const instance of instances) {
          const { keys } = (await (await fetch(`${instance.listening.url}/jwks`)).json()) as {
            keys: { kid: string }[];
          };
          expect(keys).toHaveLength(before.length + 1);
          expect(keys.slice(1).map((key) => key.kid)).toStrictEqual(before.map((key) => key.kid));
        }
      }, 30_000);

      it('kill -9 of one instance under load loses no grant issued before it', async () => {
        const refreshTokens: string[] = [];
        for (let i = 0; i < 12; i += 1) refreshTokens.push(await refreshTokenFor(client));
        let loading = true;
        const load = Promise.all(
          Array.from({ length: 16 }, async () => {
            let requests = 0;
            while (loading && requests < 500) {
              requests += 1;
              const response = await fetch(`${issuer}/.well-known/oauth-authorization-server`).catch(
                () => undefined,
              );
              await response?.body?.cancel();
            }
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
        const victim = instances[1]!;
        await victim.stop('SIGKILL');
        await new Promise((resolve) => setTimeout(resolve, 300));
        loading = false;
        await load;
        const statuses = await Promise.all(
          refreshTokens.map(async (token) => (await postToken(issuer, refreshParams(client, token))).status),
        );
        expect(statuses).toStrictEqual(refreshTokens.map(() => 200));
        expect(proxy.live()).not.toContain(victim.listening.url);
      }, 60_000);
    },
  );
}
