/**
 * DPoP proof replay across instances of one MCP server (RFC 9449 §11.1): two resource
 * middleware instances, each on its own loopback listener behind one public URL
 * (`publicOrigin`), as behind a load balancer. Given one `Store` as `replayStore` (the memory
 * store shared in process, two SQLite stores opening one file, or two Redis stores on connections
 * of their own with one key prefix, as two processes would), a proof used at one instance is
 * refused at the other. Without it, each instance keeps its own
 * record, which is why the option exists.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DpopReplayStore } from '../../../src/server/dpop/proof.js';
import { type BearerAuthEnv, bearerAuth } from '../../../src/server/resource/hono.js';
import { createMemoryStore } from '../../../src/store/index.js';
import { createRedisStore } from '../../../src/store/redis/index.js';
import { createSqliteStore } from '../../../src/store/sqlite/index.js';
import type { Store } from '../../../src/store/store.js';
import {
  closeInspector,
  deletePrefix,
  inspector,
  REDIS_URL,
  redisUrl,
  uniquePrefix,
} from '../../store/redis/redis-server.js';
import { createDpopKey, type DpopKey, makeProof } from '../dpop/helpers.js';
import {
  type AuthorizationServerFixture,
  authorizationServer,
  close,
  listen,
  RESOURCE,
  RESOURCE_METADATA_URL,
} from './helpers.js';

const PUBLIC_ORIGIN = new URL(RESOURCE).origin;
const dir = mkdtempSync(join(tmpdir(), 'cimd-dpop-replay-'));

let as: AuthorizationServerFixture;
let key: DpopKey;
let bound: string;
const servers: Server[] = [];

beforeAll(async () => {
  as = authorizationServer();
  key = await createDpopKey();
  bound = await as.issue({ confirmation: { jkt: key.jkt } });
});
afterAll(async () => {
  for (const server of servers.splice(0)) await close(server);
  await closeInspector();
  rmSync(dir, { recursive: true, force: true });
});

/** One instance of the MCP server on its own loopback port; returns its origin. */
async function instance(replayStore?: DpopReplayStore): Promise<string> {
  const app = new Hono<BearerAuthEnv>();
  app.use(
    '/mcp',
    bearerAuth({
      verifier: await as.verifier(),
      resourceMetadataUrl: RESOURCE_METADATA_URL,
      dpop: { publicOrigin: PUBLIC_ORIGIN, ...(replayStore === undefined ? {} : { replayStore }) },
    }),
  );
  app.post('/mcp', (c) => c.json({ ok: true }));
  const { server, origin } = await listen(getRequestListener(app.fetch));
  servers.push(server);
  return origin;
}

/** POSTs one proof (made for the public URL) to the instance at `origin`. */
function call(origin: string, proof: string): Promise<Response> {
  return fetch(`${origin}/mcp`, {
    method: 'POST',
    headers: { Authorization: `DPoP ${bound}`, DPoP: proof, 'content-type': 'application/json' },
    body: '{}',
  });
}

async function expectReplayRefused(first: string, second: string): Promise<void> {
  const proof = await makeProof(key, { htu: RESOURCE, accessToken: bound });
  expect((await call(first, proof)).status).toBe(200);
  const replay = await call(second, proof);
  expect(replay.status).toBe(401);
  expect(replay.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_dpop_proof"/);
  expect(((await replay.json()) as { error_description: string }).error_description).toMatch(/already used/);
  // A fresh proof still passes at either instance.
  const fresh = await makeProof(key, { htu: RESOURCE, accessToken: bound });
  expect((await call(second, fresh)).status).toBe(200);
}

describe('DPoP jti replay across instances sharing a Store (replayStore)', () => {
  it('§11.1: one memory Store shared by two instances: a proof replayed to the other instance is refused', async () => {
    const store = createMemoryStore();
    try {
      await expectReplayRefused(await instance(store), await instance(store));
    } finally {
      await store.close();
    }
  });

  it('§11.1: two SQLite Stores opening one file (as two processes would): the replay is refused', async () => {
    const path = join(dir, 'shared.sqlite');
    const stores: Store[] = [
      await createSqliteStore({ path, cleanupIntervalMs: 0 }),
      await createSqliteStore({ path, cleanupIntervalMs: 0 }),
    ];
    try {
      const [a, b] = stores as [Store, Store];
      await expectReplayRefused(await instance(a), await instance(b));
    } finally {
      for (const store of stores) await store.close();
    }
  });

  it.skipIf(REDIS_URL === undefined)(
    '§11.1: two Redis Stores on connections of their own, one key prefix: the replay is refused',
    async () => {
      const keyPrefix = uniquePrefix();
      const stores: Store[] = [
        await createRedisStore({ url: redisUrl(), keyPrefix }),
        await createRedisStore({ url: redisUrl(), keyPrefix }),
      ];
      try {
        const [a, b] = stores as [Store, Store];
        await expectReplayRefused(await instance(a), await instance(b));
      } finally {
        for (const store of stores) await store.close();
        await deletePrefix(inspector(), keyPrefix);
      }
    },
  );

  it('without a shared replayStore each instance keeps its own record: the other instance does not see the proof', async () => {
    const proof = await makeProof(key, { htu: RESOURCE, accessToken: bound });
    const [a, b] = [await instance(), await instance()];
    expect((await call(a, proof)).status).toBe(200);
    expect((await call(b, proof)).status).toBe(200);
    expect((await call(b, proof)).status).toBe(401);
  });
});
