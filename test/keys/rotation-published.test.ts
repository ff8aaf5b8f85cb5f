/**
 * The whole rotation against a real HTTPS loopback host serving the JWKS: promote is refused
 * while the host serves the old set and allowed once it serves the new one; a verifier holding
 * the served JWKS accepts every assertion at every step.
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSafeFetcher, JWKS_MAX_BYTES, type SafeFetcher } from '../../src/fetch/index.js';
import {
  type ClientKey,
  createKeySet,
  fetchPublishedJwks,
  generateClientKey,
  isKeySetError,
  type KeySet,
  keySetStatus,
  promoteNextKey,
  publicJwks,
  retireAfter,
  retirePreviousKeys,
  signClientAssertion,
  stageKey,
} from '../../src/keys/index.js';
import { type HttpsHost, startHttpsHost } from '../helpers/https-host.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';
import { MINUTE, T0 } from './fixtures.js';

const CLIENT_ID = 'https://app.example.com/oauth/client.json';
const ISSUER = 'https://auth.example.com';

describe('staged rotation against a served JWKS (HTTPS loopback host)', () => {
  let ca: TestCa;
  let host: HttpsHost;
  let fetcher: SafeFetcher;
  let served: unknown;
  let k1: ClientKey;
  let k2: ClientKey;
  let now = T0;

  const publish = (set: KeySet) => {
    served = publicJwks(set);
  };
  const fetchServed = (set: KeySet) => fetchPublishedJwks(set, { fetcher });
  /** A verifier holding what the host serves right now (as an authorization server would). */
  const verifyAgainstServed = async (set: KeySet, jwt: string) => {
    const jwks = createLocalJWKSet((await fetchServed(set)) as { keys: [] });
    const { payload } = await jwtVerify(jwt, jwks, {
      issuer: CLIENT_ID,
      subject: CLIENT_ID,
      audience: ISSUER,
      typ: 'client-authentication+jwt',
      currentDate: new Date(now),
    });
    return payload;
  };
  const sign = (set: KeySet) =>
    signClientAssertion({ keySet: set, clientId: CLIENT_ID, audience: ISSUER, now });
  const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid;
  const codes = (set: KeySet) => keySetStatus(set, served, { now }).items.map((item) => item.code);

  beforeAll(async () => {
    ca = createTestCa();
    host = await startHttpsHost(ca);
    host.route('/oauth/jwks.json', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served));
    });
    fetcher = createSafeFetcher({ ca: ca.caCert, allowPrivateNetwork: true, maxBytes: JWKS_MAX_BYTES });
    [k1, k2] = await Promise.all([generateClientKey('ES256'), generateClientKey('ES256')]);
  });
  afterAll(async () => {
    await fetcher?.close();
    await host?.close();
    ca?.dispose();
  });

  it('stage -> promote (refused until served) -> retire (after the grace period), never failing a verifier', async () => {
    // Step 0: one current key, published.
    let set = createKeySet(k1, { jwksUri: `${host.origin}/oauth/jwks.json`, now });
    publish(set);
    let jwt = await sign(set);
    expect(kidOf(jwt)).toBe(k1.kid);
    await verifyAgainstServed(set, jwt);
    expect(codes(set)).toEqual(['all-good']);
    expect(keySetStatus(set, served, { now }).consistent).toBe(true);

    // Step 1: stage k2. The host still serves the old JWKS: promote is refused.
    now += MINUTE;
    set = stageKey(set, k2, { now });
    expect(publicJwks(set).keys.map((key) => key.kid)).toEqual([k1.kid, k2.kid]);
    jwt = await sign(set);
    expect(kidOf(jwt)).toBe(k1.kid);
    await verifyAgainstServed(set, jwt);
    expect(codes(set)).toEqual(['next-not-published']);
    const stillOld = await fetchServed(set);
    let refusal: unknown;
    try {
      promoteNextKey(set, { published: stillOld, now });
    } catch (error) {
      refusal = error;
    }
    expect(isKeySetError(refusal, 'ERR_KEYS_NOT_PUBLISHED')).toBe(true);
    expect((refusal as Error).message).toContain(`is not published yet at ${host.origin}/oauth/jwks.json`);

    // Step 2: publish current + next; now promote is allowed.
    publish(set);
    expect(codes(set)).toEqual(['next-ready', 'all-good']);
    const beforePromotion = await sign(set); // signed by k1, still valid for 60 s
    now += MINUTE;
    set = promoteNextKey(set, { published: await fetchServed(set), now });
    const demotedAt = now;
    jwt = await sign(set);
    expect(kidOf(jwt)).toBe(k2.kid);
    await verifyAgainstServed(set, jwt); // the served set already holds k2
    publish(set);
    expect(publicJwks(set).keys.map((key) => key.kid)).toEqual([k2.kid, k1.kid]);
    await verifyAgainstServed(set, jwt);
    now -= 30_000; // the k1 assertion from before the promotion is still in flight
    await verifyAgainstServed(set, beforePromotion);
    now += 30_000;
    expect(codes(set)).toEqual(['previous-in-grace', 'all-good']);

    // Step 3: retire is refused during the grace period, allowed after it (injected clock).
    now += MINUTE;
    expect(() => retirePreviousKeys(set, { now })).toThrow(
      expect.objectContaining({ code: 'ERR_KEYS_GRACE_PERIOD' }),
    );
    now = retireAfter(set, set.keys.find((key) => key.kid === k1.kid)!).getTime();
    expect(now).toBe(demotedAt + set.settings.maxAssertionLifetimeMs + set.settings.maxJwksCacheMs);
    expect(codes(set)).toEqual(['previous-retirable', 'all-good']);
    const retired = retirePreviousKeys(set, { now });
    expect(retired.retired).toEqual([k1.kid]);
    set = retired.keySet;
    jwt = await sign(set);
    expect(kidOf(jwt)).toBe(k2.kid);
    await verifyAgainstServed(set, jwt); // before publishing: the old set still holds k2
    expect(codes(set)).toEqual(['unknown-key-published']);
    publish(set);
    expect(publicJwks(set).keys.map((key) => key.kid)).toEqual([k2.kid]);
    await verifyAgainstServed(set, jwt);
    expect(codes(set)).toEqual(['all-good']);
  });

  it('keySetStatus flags an unpublished current key and a published private key as inconsistent', async () => {
    const set = createKeySet(k1, { jwksUri: `${host.origin}/oauth/jwks.json` });
    served = { keys: [k2.publicJwk] };
    const missing = keySetStatus(set, await fetchServed(set));
    expect(missing.consistent).toBe(false);
    expect(missing.items.map((item) => item.code)).toEqual([
      'current-not-published',
      'unknown-key-published',
    ]);
    served = { keys: [k1.privateJwk] };
    const leaked = keySetStatus(set, await fetchServed(set));
    expect(leaked.consistent).toBe(false);
    expect(leaked.items[0]).toMatchObject({ level: 'error', code: 'private-key-published', kid: k1.kid });
    expect(leaked.publication.leaked).toEqual([{ kid: k1.kid, members: ['d'] }]);
  });

  it('fetchPublishedJwks refuses a key set without jwksUri, and a loopback jwksUri without allowPrivateNetwork', async () => {
    await expect(fetchPublishedJwks(createKeySet(k1))).rejects.toSatisfy((error) =>
      isKeySetError(error, 'ERR_KEYS_NO_JWKS_URI'),
    );
    await expect(
      fetchPublishedJwks(createKeySet(k1, { jwksUri: `${host.origin}/oauth/jwks.json` })),
    ).rejects.toMatchObject({ code: 'ERR_SSRF_BLOCKED' });
  });
});
