/**
 * `client.keys_changed` for a `jwks_uri` client: when the key set at its `jwks_uri` is fetched
 * again and holds other keys (here: an assertion names a new `kid`), the event names the client,
 * the `jwks_uri` and the keys added and removed by RFC 7638 thumbprint.
 */
import { calculateJwkThumbprint } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../../src/server/index.js';
import {
  type CimdHost,
  codeParams,
  createKey,
  createTestServer,
  expectTokens,
  type KeyClient,
  keyClient,
  startCimdHost,
  type TestKey,
  type TestServer,
} from '../token/harness.js';

let host: CimdHost;
let k1: TestKey;
let k2: TestKey;
let t: TestServer;

beforeAll(async () => {
  host = await startCimdHost();
  k1 = await createKey('jk-1');
  k2 = await createKey('jk-2');
});
afterAll(async () => {
  await host.close();
});
afterEach(async () => {
  await t?.close();
});

async function signIn(client: KeyClient, key: TestKey): Promise<void> {
  const { client_id: _id, ...params } = codeParams(client.clientId, await t.issueCode(client.clientId));
  await expectTokens(await t.token({ ...params, ...(await t.auth(client.clientId, key)) }));
}

describe('client.keys_changed for a jwks_uri client', () => {
  it('reports the keys added and removed at the jwks_uri, once the set is fetched again', async () => {
    const events: ServerEvent[] = [];
    t = await createTestServer(host, { observers: [(event) => events.push(event)] });
    const client = keyClient(host, [k1], 'jwks_uri');
    await signIn(client, k1);
    expect(events.filter((event) => event.type === 'client.keys_changed')).toEqual([]);

    client.publish(k2); // rotated: k1 retired, k2 in
    t.clock.advance(31_000); // past the unknown-kid cooldown
    await signIn(client, k2);
    const jwksUri = client.document.jwks_uri;
    expect(events.filter((event) => event.type === 'client.keys_changed')).toEqual([
      {
        type: 'client.keys_changed',
        clientId: client.clientId,
        jwksUri,
        keysAdded: [await calculateJwkThumbprint(k2.publicJwk, 'sha256')],
        keysRemoved: [await calculateJwkThumbprint(k1.publicJwk, 'sha256')],
      },
    ]);
    expect(events.filter((event) => event.type === 'fetch.completed' && event.target === 'jwks')).toEqual([
      { type: 'fetch.completed', target: 'jwks', outcome: 'success' },
      { type: 'fetch.completed', target: 'jwks', outcome: 'success' },
    ]);
  });
});
