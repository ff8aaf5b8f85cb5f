/**
 * private_key_jwt with keys fetched from the client's jwks_uri: a real HTTPS host on loopback
 * (the fetcher trusts the test CA and has allowPrivateNetwork), the injected clock for cache
 * freshness and the kid refetch cooldown, and host hit counts to see every fetch.
 */
import { calculateJwkThumbprint } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSafeFetcher, type SafeFetcher } from '../../../src/fetch/index.js';
import {
  type ClientAssertionVerifier,
  type ClientAssertionVerifierOptions,
  createClientAssertionVerifier,
} from '../../../src/server/auth/index.js';
import { type Handler, type HttpsHost, json, startHttpsHost } from '../../helpers/https-host.js';
import { createTestCa, type TestCa } from '../../helpers/test-ca.js';
import {
  type Clock,
  clientWith,
  createClock,
  createKey,
  createTestStore,
  expectInvalidClient,
  ISSUER,
  jwksOf,
  paramsFor,
  sign,
  type TestKey,
  type TestStore,
} from './helpers.js';

const ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

let ca: TestCa;
let host: HttpsHost;
let fetcher: SafeFetcher;
const keys = new Map<string, TestKey>();
let k1: TestKey;
let k2: TestKey;
let k3: TestKey;

beforeAll(async () => {
  ca = createTestCa();
  host = await startHttpsHost(ca);
  fetcher = createSafeFetcher({ allowPrivateNetwork: true, ca: ca.caCert, timeoutMs: 3000 });
  for (const alg of ALGS) keys.set(alg, await createKey(alg, `remote-${alg}`));
  k1 = await createKey('ES256', 'k1');
  k2 = await createKey('ES256', 'k2');
  k3 = await createKey('ES256', 'k3');
});
afterAll(async () => {
  await fetcher.close();
  await host.close();
  ca.dispose();
});

let counter = 0;
/** A fresh path on the host, so hit counts start at zero. */
function servePath(handler: Handler): string {
  counter += 1;
  const path = `/jwks-${counter}.json`;
  host.route(path, handler);
  return path;
}

interface Setup {
  clock: Clock;
  store: TestStore;
  verifier: ClientAssertionVerifier;
}

function setup(options: Partial<ClientAssertionVerifierOptions> = {}, shared?: Setup): Setup {
  const clock = shared?.clock ?? createClock();
  const store = shared?.store ?? createTestStore(clock.now);
  const verifier = createClientAssertionVerifier({
    issuer: ISSUER,
    store,
    fetcher,
    now: clock.now,
    ...options,
  });
  return { clock, store, verifier };
}

const remoteClient = (path: string) => clientWith({ jwks_uri: `${host.origin}${path}` });

/** Signs with `key` at the clock's time and verifies against the client at `path`. */
async function verifyAt(setupValue: Setup, path: string, key: TestKey) {
  const assertion = await sign(key, setupValue.clock.now());
  return setupValue.verifier.verify(remoteClient(path), paramsFor(assertion));
}

describe('valid assertions with keys from jwks_uri', () => {
  for (const alg of ALGS) {
    it(`PKJ-14 PKJ-17 accepts ${alg}`, async () => {
      const key = keys.get(alg)!;
      const path = servePath(json(jwksOf(...keys.values())));
      const result = await verifyAt(setup(), path, key);
      expect(result).toMatchObject({
        alg,
        kid: key.kid,
        keyThumbprint: await calculateJwkThumbprint(key.publicJwk),
        keySource: 'jwks_uri',
      });
    });
  }

  it('PKJ-14 accepts application/jwk-set+json', async () => {
    const path = servePath(json(jwksOf(k1), 200, { 'content-type': 'application/jwk-set+json' }));
    await expect(verifyAt(setup(), path, k1)).resolves.toMatchObject({ kid: 'k1' });
  });
});

describe('PKJ-14 key rotation through the kid refetch', () => {
  it('picks up a new key with exactly one refetch, honours the cooldown, and drops a removed key after expiry', async () => {
    let served = jwksOf(k1);
    const path = servePath((req, res) => json(served, 200, { 'cache-control': 'max-age=300' })(req, res));
    const s = setup();

    await verifyAt(s, path, k1);
    expect(host.hits.get(path)).toBe(1);

    // K2 is published; an assertion by K2 after the cooldown refetches once and passes.
    served = jwksOf(k1, k2);
    s.clock.advance(31_000);
    await expect(verifyAt(s, path, k2)).resolves.toMatchObject({ kid: 'k2' });
    expect(host.hits.get(path)).toBe(2);
    await verifyAt(s, path, k2);
    expect(host.hits.get(path)).toBe(2);

    // Another unknown kid within the cooldown: no refetch.
    served = jwksOf(k1, k2, k3);
    s.clock.advance(1000);
    await expectInvalidClient(verifyAt(s, path, k3), /kid is not in the client's key set/);
    expect(host.hits.get(path)).toBe(2);

    // K1 removed: once the cached set expires, K1 is refused (and the unknown kid, just
    // fetched, does not refetch again).
    served = jwksOf(k2);
    s.clock.advance(300_000);
    await expectInvalidClient(verifyAt(s, path, k1), /kid is not in the client's key set/);
    expect(host.hits.get(path)).toBe(3);
    await expect(verifyAt(s, path, k2)).resolves.toBeDefined();
    expect(host.hits.get(path)).toBe(3);
  });

  it('does not refetch for an unknown kid right after the first fetch', async () => {
    const path = servePath(json(jwksOf(k1)));
    const s = setup();
    await expectInvalidClient(verifyAt(s, path, k2), /kid is not in the client's key set/);
    expect(host.hits.get(path)).toBe(1);
  });

  it('honours a configured cooldown', async () => {
    let served = jwksOf(k1);
    const path = servePath((req, res) => json(served)(req, res));
    const s = setup({ kidRefetchCooldownMs: 0 });
    await verifyAt(s, path, k1);
    served = jwksOf(k1, k2);
    await expect(verifyAt(s, path, k2)).resolves.toBeDefined();
    expect(host.hits.get(path)).toBe(2);
  });

  it('PKJ-17 isKeyStillPublished turns false once the removed key leaves the cached set', async () => {
    let served = jwksOf(k1, k2);
    const path = servePath((req, res) => json(served)(req, res));
    const s = setup();
    const thumbprint = (await verifyAt(s, path, k1)).keyThumbprint;
    served = jwksOf(k2);
    expect(await s.verifier.isKeyStillPublished(remoteClient(path), thumbprint)).toBe(true);
    s.clock.advance(60_000);
    expect(await s.verifier.isKeyStillPublished(remoteClient(path), thumbprint)).toBe(false);
  });
});

describe('PKJ-14 jwks_uri responses', () => {
  it('refuses a key set with a private key in it', async () => {
    const path = servePath(json({ keys: [k1.privateJwk] }));
    const error = await expectInvalidClient(
      verifyAt(setup(), path, k1),
      /could not load the client's keys from its jwks_uri: the key set is refused \(CIMD-KEY-03/,
    );
    expect(error.message).not.toContain(String(k1.privateJwk.d));
  });

  it('refuses a key set whose key has no kid', async () => {
    const { kid: _kid, ...anonymous } = k1.publicJwk;
    const path = servePath(json({ keys: [anonymous] }));
    await expectInvalidClient(verifyAt(setup(), path, k1), /CIMD-KEY-06/);
  });

  it('refuses a 404', async () => {
    const path = `/missing-${++counter}.json`;
    await expectInvalidClient(verifyAt(setup(), path, k1), /jwks_uri: the host answered HTTP 404/);
  });

  it('refuses a key set over 64 KiB', async () => {
    const path = servePath(json({ ...jwksOf(k1), padding: 'x'.repeat(70_000) }));
    await expectInvalidClient(verifyAt(setup(), path, k1), /larger than this server accepts/);
  });

  it('refuses a jwks_uri on a private address without allowPrivateNetwork, naming no address', async () => {
    const strictFetcher = createSafeFetcher({ ca: ca.caCert, timeoutMs: 3000 });
    try {
      const path = servePath(json(jwksOf(k1)));
      const s = setup({ fetcher: strictFetcher });
      const error = await expectInvalidClient(verifyAt(s, path, k1), /does not lead to a public internet/);
      expect(error.message).not.toContain('127.0.0.1');
      expect(host.hits.get(path)).toBeUndefined();
    } finally {
      await strictFetcher.close();
    }
  });

  it('does not serve a stale set when the host fails (fails closed)', async () => {
    let status = 200;
    const path = servePath((req, res) => json(jwksOf(k1), status)(req, res));
    const s = setup();
    await verifyAt(s, path, k1);
    status = 503;
    s.clock.advance(61_000);
    await expectInvalidClient(verifyAt(s, path, k1), /HTTP 503/);
  });
});

describe('PKJ-14 caching by HTTP headers within bounds', () => {
  it('honours max-age', async () => {
    const path = servePath(json(jwksOf(k1), 200, { 'cache-control': 'max-age=120' }));
    const s = setup();
    await verifyAt(s, path, k1);
    s.clock.advance(119_000);
    await verifyAt(s, path, k1);
    expect(host.hits.get(path)).toBe(1);
    s.clock.advance(2000);
    await verifyAt(s, path, k1);
    expect(host.hits.get(path)).toBe(2);
  });

  it('raises a short max-age to 60 s and caps a long one at 1 h by default', async () => {
    const short = servePath(json(jwksOf(k1), 200, { 'cache-control': 'max-age=5' }));
    const long = servePath(json(jwksOf(k1), 200, { 'cache-control': 'max-age=31536000' }));
    const s = setup();
    await verifyAt(s, short, k1);
    await verifyAt(s, long, k1);
    s.clock.advance(59_000);
    await verifyAt(s, short, k1);
    expect(host.hits.get(short)).toBe(1);
    s.clock.advance(3_600_000 - 59_000);
    await verifyAt(s, long, k1);
    expect(host.hits.get(long)).toBe(2);
  });

  it('honours configured bounds', async () => {
    const path = servePath(json(jwksOf(k1), 200, { 'cache-control': 'max-age=600' }));
    const s = setup({ jwksCacheBounds: { minTtlMs: 1000, maxTtlMs: 10_000 } });
    await verifyAt(s, path, k1);
    s.clock.advance(10_000);
    await verifyAt(s, path, k1);
    expect(host.hits.get(path)).toBe(2);
  });

  it('revalidates a stale set with its ETag and keeps it on 304', async () => {
    const seen: (string | undefined)[] = [];
    const path = servePath((req, res) => {
      seen.push(req.headers['if-none-match']);
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, { etag: '"v1"', 'cache-control': 'max-age=120' }).end();
        return;
      }
      json(jwksOf(k1), 200, { etag: '"v1"', 'cache-control': 'max-age=60' })(req, res);
    });
    const s = setup();
    await verifyAt(s, path, k1);
    s.clock.advance(61_000);
    await verifyAt(s, path, k1);
    s.clock.advance(119_000);
    await verifyAt(s, path, k1);
    expect(seen).toEqual([undefined, '"v1"']);
  });

  it('makes one fetch for concurrent requests', async () => {
    const path = servePath(json(jwksOf(k1)));
    const s = setup();
    await Promise.all([verifyAt(s, path, k1), verifyAt(s, path, k1), verifyAt(s, path, k1)]);
    expect(host.hits.get(path)).toBe(1);
  });

  it('PKJ-09 shares key sets and jti records between instances on one store', async () => {
    const path = servePath(json(jwksOf(k1)));
    const first = setup();
    const second = setup({}, first);
    const assertion = await sign(k1, first.clock.now());
    await first.verifier.verify(remoteClient(path), paramsFor(assertion));
    await expectInvalidClient(
      second.verifier.verify(remoteClient(path), paramsFor(assertion)),
      /already used/,
    );
    await verifyAt(second, path, k1);
    expect(host.hits.get(path)).toBe(1);
  });

  it('treats a garbled shared entry as a miss', async () => {
    const path = servePath(json(jwksOf(k1)));
    const s = setup();
    await s.store.cacheSet(`jwks:${host.origin}${path}`, '{"not":"an entry"', 60_000);
    await verifyAt(s, path, k1);
    expect(host.hits.get(path)).toBe(1);
  });

  it('keeps key sets in process only with shareKeySets false', async () => {
    const path = servePath(json(jwksOf(k1)));
    const first = setup({ shareKeySets: false });
    const second = setup({ shareKeySets: false }, first);
    await verifyAt(first, path, k1);
    await verifyAt(second, path, k1);
    expect(host.hits.get(path)).toBe(2);
  });
});
