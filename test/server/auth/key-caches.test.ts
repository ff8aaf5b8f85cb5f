/**
 * The caches on the private_key_jwt path (inline key sets by content, verifying-key thumbprints,
 * registered clients' parsed metadata): a changed key set, even under the same kid, is never
 * served from a cache, and an unchanged one is.
 */
import { calculateJwkThumbprint } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../../src/document/schema.js';
import { createSafeFetcher } from '../../../src/fetch/index.js';
import { createClientAssertionVerifier } from '../../../src/server/auth/index.js';
import { createClientRegistry } from '../../../src/server/clients/registry.js';
import { createMemoryStore } from '../../../src/store/memory/memory-store.js';
import {
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
} from './helpers.js';

type Jwks = NonNullable<ClientMetadata['jwks']>;

/** `key`'s public JWK Set as a new object, as a store hands out on every read. */
const inline = (key: TestKey): Jwks => structuredClone(jwksOf(key)) as Jwks;

const fetcher = createSafeFetcher();
afterAll(() => fetcher.close());

function verifierAt(clock: ReturnType<typeof createClock>) {
  return createClientAssertionVerifier({
    issuer: ISSUER,
    store: createTestStore(clock.now),
    fetcher,
    now: clock.now,
  });
}

describe('inline key set cache (by content)', () => {
  it('same kid, new key material: the new key verifies, the old one no longer does', async () => {
    const clock = createClock();
    const verifier = verifierAt(clock);
    const oldKey = await createKey('ES256', 'k1');
    const newKey = await createKey('ES256', 'k1');
    // Fresh metadata objects on every call, as a store hands out.
    const oldClient = () => clientWith({ jwks: inline(oldKey) });
    const newClient = () => clientWith({ jwks: inline(newKey) });

    const first = await verifier.verify(oldClient(), paramsFor(await sign(oldKey, clock.now())));
    expect(first.keyThumbprint).toBe(await calculateJwkThumbprint(oldKey.publicJwk, 'sha256'));
    const again = await verifier.verify(oldClient(), paramsFor(await sign(oldKey, clock.now())));
    expect(again.keyThumbprint).toBe(first.keyThumbprint);

    const rotated = await verifier.verify(newClient(), paramsFor(await sign(newKey, clock.now())));
    expect(rotated.keyThumbprint).toBe(await calculateJwkThumbprint(newKey.publicJwk, 'sha256'));
    expect(rotated.keyThumbprint).not.toBe(first.keyThumbprint);
    await expectInvalidClient(
      verifier.verify(newClient(), paramsFor(await sign(oldKey, clock.now()))),
      /signature does not verify/,
    );
    expect(await verifier.isKeyStillPublished(newClient(), first.keyThumbprint)).toBe(false);
    expect(await verifier.isKeyStillPublished(newClient(), rotated.keyThumbprint)).toBe(true);
    expect(await verifier.isKeyStillPublished(oldClient(), first.keyThumbprint)).toBe(true);
  });

  it('a key set mutated in place after use is read again, not served from the cache', async () => {
    const clock = createClock();
    const verifier = verifierAt(clock);
    const oldKey = await createKey('ES256', 'k1');
    const newKey = await createKey('ES256', 'k1');
    const jwks = inline(oldKey) as { keys: unknown[] };
    await verifier.verify(
      clientWith({ jwks: structuredClone(jwks) as Jwks }),
      paramsFor(await sign(oldKey, clock.now())),
    );
    jwks.keys[0] = structuredClone(newKey.publicJwk);
    const verified = await verifier.verify(
      clientWith({ jwks: structuredClone(jwks) as Jwks }),
      paramsFor(await sign(newKey, clock.now())),
    );
    expect(verified.keyThumbprint).toBe(await calculateJwkThumbprint(newKey.publicJwk, 'sha256'));
  });

  it('a refused set is refused on every use (no verdict is cached for it)', async () => {
    const clock = createClock();
    const verifier = verifierAt(clock);
    const key = await createKey('ES256', 'k1');
    const bad = () => clientWith({ jwks: { keys: [key.privateJwk] } as Jwks });
    for (let i = 0; i < 2; i++) {
      await expectInvalidClient(verifier.verify(bad(), paramsFor(await sign(key, clock.now()))), /refused/);
    }
  });
});

describe('registered client metadata cache', () => {
  it('re-registering the same client with a new key (same kid) gives the new keys and fingerprint', async () => {
    const clock = createClock();
    const store = createMemoryStore({ now: clock.now });
    const registry = createClientRegistry({ store, now: clock.now });
    const verifier = verifierAt(clock);
    const oldKey = await createKey('ES256', 'k1');
    const newKey = await createKey('ES256', 'k1');
    const save = (key: TestKey) =>
      store.saveClient({
        clientId: 'dcr_keys',
        metadata: {
          client_name: 'Keys',
          redirect_uris: ['http://127.0.0.1/cb'],
          grant_types: ['authorization_code', 'refresh_token'],
          token_endpoint_auth_method: 'private_key_jwt',
          jwks: jwksOf(key),
        },
        createdAt: clock.now(),
      });
    const claims = { iss: 'dcr_keys', sub: 'dcr_keys' };

    await save(oldKey);
    const first = await registry.resolveClient('dcr_keys');
    const second = await registry.resolveClient('dcr_keys');
    expect(second.metadata).toBe(first.metadata); // unchanged record: served from the cache
    expect(second.fingerprint).toBe(first.fingerprint);
    await verifier.verify(first, paramsFor(await sign(oldKey, clock.now(), { claims })));

    await save(newKey);
    // The record is reused for registeredClientTtlMs (1 s), then read again.
    expect((await registry.resolveClient('dcr_keys')).metadata).toBe(first.metadata);
    clock.advance(1_001);
    const rotated = await registry.resolveClient('dcr_keys');
    expect(rotated.metadata).not.toBe(first.metadata);
    expect(rotated.fingerprint).not.toBe(first.fingerprint);
    expect(rotated.metadata.jwks).toEqual(jwksOf(newKey));
    const verified = await verifier.verify(rotated, paramsFor(await sign(newKey, clock.now(), { claims })));
    expect(verified.keyThumbprint).toBe(await calculateJwkThumbprint(newKey.publicJwk, 'sha256'));
    await expectInvalidClient(
      verifier.verify(rotated, paramsFor(await sign(oldKey, clock.now(), { claims }))),
      /signature does not verify/,
    );
    expect(Object.isFrozen(rotated.metadata)).toBe(true);
  });
});
