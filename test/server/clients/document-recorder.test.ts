/**
 * The client document history: the first document of a client is `client.first_seen`; a changed
 * fingerprint is `client.document_changed` with the fields that changed and the keys added and
 * removed (RFC 7638 thumbprints), plus `client.keys_changed`; each reported once across
 * instances sharing a store; unchanged sightings move `lastSeen` at most once a minute.
 */
import { calculateJwkThumbprint } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../../src/server/index.js';
import { createMemoryStore } from '../../../src/store/index.js';
import { createSqliteStore } from '../../../src/store/sqlite/index.js';
import {
  type CimdHost,
  createClock,
  createKey,
  createTestServer,
  keyClient,
  publicClient,
  startCimdHost,
  type TestKey,
  type TestServer,
} from '../token/harness.js';

let host: CimdHost;
let k1: TestKey;
let k2: TestKey;
const servers: TestServer[] = [];

/** Past the document cache's lower bound (60 s) and the history's touch interval (60 s). */
const PAST_CACHE = 61_000;

beforeAll(async () => {
  host = await startCimdHost();
  k1 = await createKey('rec-k1');
  k2 = await createKey('rec-k2');
});
afterAll(async () => {
  await host.close();
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.server.close();
});

function documentEvents(events: ServerEvent[]): ServerEvent[] {
  return events.filter((event) => event.type.startsWith('client.'));
}

async function start(events: ServerEvent[], store = createMemoryStore()): Promise<TestServer> {
  const t = await createTestServer(host, { store, observers: [(event) => events.push(event)] });
  servers.push(t);
  return t;
}

describe('the client document history', () => {
  it('reports a first sighting once, and a changed document with the fields that changed', async () => {
    const events: ServerEvent[] = [];
    const t = await start(events);
    const client = publicClient(host);
    const first = await t.server.context.registry.resolveClient(client.clientId);
    await t.server.context.registry.resolveClient(client.clientId);
    expect(documentEvents(events)).toEqual([
      {
        type: 'client.first_seen',
        clientId: client.clientId,
        source: 'cimd',
        fingerprint: first.fingerprint,
        clientName: 'Public test client',
      },
    ]);

    client.update({ redirect_uris: ['http://127.0.0.1/other'], client_name: 'Renamed', logo_uri: undefined });
    t.clock.advance(PAST_CACHE);
    const second = await t.server.context.registry.resolveClient(client.clientId);
    expect(second.fingerprint).not.toBe(first.fingerprint);
    expect(documentEvents(events).slice(1)).toEqual([
      {
        type: 'client.document_changed',
        clientId: client.clientId,
        source: 'cimd',
        previousFingerprint: first.fingerprint,
        fingerprint: second.fingerprint,
        fields: ['client_name', 'redirect_uris'],
        keysAdded: [],
        keysRemoved: [],
      },
    ]);
    const history = await t.store.getClientDocuments(client.clientId);
    expect(history.map((record) => record.fingerprint)).toEqual([first.fingerprint, second.fingerprint]);
    expect(history[1]?.changes).toEqual({
      previousFingerprint: first.fingerprint,
      fields: ['client_name', 'redirect_uris'],
      keysAdded: [],
      keysRemoved: [],
    });
  });

  it('reports inline keys added and removed by thumbprint', async () => {
    const events: ServerEvent[] = [];
    const t = await start(events);
    const client = keyClient(host, [k1], 'jwks');
    await t.server.context.registry.resolveClient(client.clientId);
    client.publish(k1, k2);
    t.clock.advance(PAST_CACHE);
    await t.server.context.registry.resolveClient(client.clientId);
    client.publish(k2);
    t.clock.advance(PAST_CACHE);
    await t.server.context.registry.resolveClient(client.clientId);
    const thumb1 = await calculateJwkThumbprint(k1.publicJwk, 'sha256');
    const thumb2 = await calculateJwkThumbprint(k2.publicJwk, 'sha256');
    const changed = events.filter((event) => event.type === 'client.document_changed');
    expect(changed).toMatchObject([
      { fields: ['jwks'], keysAdded: [thumb2], keysRemoved: [] },
      { fields: ['jwks'], keysAdded: [], keysRemoved: [thumb1] },
    ]);
    expect(events.filter((event) => event.type === 'client.keys_changed')).toMatchObject([
      { clientId: client.clientId, keysAdded: [thumb2], keysRemoved: [] },
      { clientId: client.clientId, keysAdded: [], keysRemoved: [thumb1] },
    ]);
  });

  it('reports each document once across instances sharing the store', async () => {
    const clock = createClock();
    const store = createMemoryStore({ now: clock.now });
    const one: ServerEvent[] = [];
    const two: ServerEvent[] = [];
    const a = await start(one, store);
    const b = await start(two, store);
    const client = publicClient(host);
    await a.server.context.registry.resolveClient(client.clientId);
    await b.server.context.registry.resolveClient(client.clientId);
    expect(documentEvents(one).map((event) => event.type)).toEqual(['client.first_seen']);
    expect(documentEvents(two)).toEqual([]);

    // A new instance (a restart) sees the document changed: the previous fingerprint comes from the store.
    const before = (await store.getClientDocuments(client.clientId))[0]?.fingerprint;
    client.update({ scope: 'mcp:tools' });
    const three: ServerEvent[] = [];
    const c = await start(three, store);
    await c.server.context.registry.invalidate(client.clientId); // past the shared document cache
    const now = await c.server.context.registry.resolveClient(client.clientId);
    expect(documentEvents(three)).toEqual([
      {
        type: 'client.document_changed',
        clientId: client.clientId,
        source: 'cimd',
        previousFingerprint: before,
        fingerprint: now.fingerprint,
        fields: [],
        keysAdded: [],
        keysRemoved: [],
      },
    ]);
    await store.close();
  });

  it('moves lastSeen of an unchanged document at most once a minute per instance', async () => {
    const events: ServerEvent[] = [];
    const t = await start(events);
    const client = publicClient(host);
    await t.server.context.registry.resolveClient(client.clientId);
    const [first] = await t.store.getClientDocuments(client.clientId);
    t.clock.advance(30_000);
    await t.server.context.registry.resolveClient(client.clientId);
    expect((await t.store.getClientDocuments(client.clientId))[0]?.lastSeen).toBe(first?.lastSeen);
    t.clock.advance(31_000);
    await t.server.context.registry.resolveClient(client.clientId);
    const [later] = await t.store.getClientDocuments(client.clientId);
    expect(later?.lastSeen).toBe(t.clock.now());
    expect(later?.firstSeen).toBe(first?.firstSeen);
    expect(documentEvents(events)).toHaveLength(1);
  });

  it('works the same on the SQLite store', async () => {
    const store = await createSqliteStore({ path: ':memory:' });
    const events: ServerEvent[] = [];
    const t = await start(events, store);
    const client = publicClient(host);
    const first = await t.server.context.registry.resolveClient(client.clientId);
    client.update({ redirect_uris: ['http://127.0.0.1/moved'] });
    t.clock.advance(PAST_CACHE);
    await t.server.context.registry.invalidate(client.clientId);
    const second = await t.server.context.registry.resolveClient(client.clientId);
    expect(documentEvents(events)).toMatchObject([
      { type: 'client.first_seen', fingerprint: first.fingerprint },
      {
        type: 'client.document_changed',
        previousFingerprint: first.fingerprint,
        fingerprint: second.fingerprint,
        fields: ['redirect_uris'],
      },
    ]);
    expect((await store.getClientDocuments(client.clientId)).map((record) => record.fingerprint)).toEqual([
      first.fingerprint,
      second.fingerprint,
    ]);
    await store.close();
  });
});
