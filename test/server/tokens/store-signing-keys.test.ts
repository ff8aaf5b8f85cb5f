/**
 * Signing keys kept in the shared store: sealed at rest, one rotation at a time across
 * instances, every instance publishing and adopting the same set.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isCimdError } from '../../../src/errors.js';
import { createSecretBox, generateEncryptionKey } from '../../../src/server/secrets/secret-box.js';
import { createSigningKeyManager } from '../../../src/server/tokens/signing-keys.js';
import {
  SIGNING_KEYS_LOCK,
  SIGNING_KEYS_STATE,
  storeSigningKeyStorage,
} from '../../../src/server/tokens/store-signing-key-storage.js';
import { createMemoryStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/store.js';

const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);
const MINUTE = 60_000;

function clock(start = T0) {
  let current = start;
  return {
    now: () => current,
    advance: (ms: number) => {
      current += ms;
    },
  };
}

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

function sharedStore(): Store {
  const store = createMemoryStore();
  stores.push(store);
  return store;
}

function instances(store: Store, count: number, key = generateEncryptionKey(), now = Date.now) {
  return Array.from({ length: count }, () =>
    createSigningKeyManager({
      now,
      storage: storeSigningKeyStorage({ store, box: createSecretBox(key), lockPollMs: 5 }),
    }),
  );
}

describe('signing keys in the shared store', () => {
  it('are sealed at rest: the stored value holds no key material in the clear', async () => {
    const store = sharedStore();
    const [manager] = instances(store, 1);
    const signing = await manager!.signingKey();
    const stored = await store.getState(SIGNING_KEYS_STATE);
    expect(stored).toMatch(/^v1\./);
    expect(stored).not.toContain(signing.kid);
    expect(stored).not.toContain('"d"');
  });

  it('ten instances starting at once sign with one key and publish the same JWKS', async () => {
    const store = sharedStore();
    const managers = instances(store, 10);
    const kids = await Promise.all(managers.map(async (manager) => (await manager.signingKey()).kid));
    expect(new Set(kids).size).toBe(1);
    const sets = await Promise.all(managers.map((manager) => manager.publicJwks()));
    for (const set of sets) expect(set).toStrictEqual(sets[0]);
    expect(sets[0]!.keys).toHaveLength(1);
  });

  it('a rotation on one instance is published by all at once and adopted for signing within the reload interval', async () => {
    const store = sharedStore();
    const time = clock();
    const [a, b] = instances(store, 2, generateEncryptionKey(), time.now);
    const before = (await b!.signingKey()).kid;
    expect((await a!.signingKey()).kid).toBe(before);
    await a!.rotate();
    const after = (await a!.signingKey()).kid;
    expect(after).not.toBe(before);
    const published = (await b!.publicJwks()).keys.map((key) => key.kid);
    expect(published).toStrictEqual([after, before]);
    time.advance(MINUTE);
    expect((await b!.signingKey()).kid).toBe(after);
  });

  it('concurrent forced rotations on five instances leave one current key that all agree on', async () => {
    const store = sharedStore();
    const managers = instances(store, 5);
    const first = (await managers[0]!.signingKey()).kid;
    await Promise.all(managers.map((manager) => manager.rotate()));
    const sets = await Promise.all(managers.map((manager) => manager.publicJwks()));
    for (const set of sets) expect(set).toStrictEqual(sets[0]);
    const kids = sets[0]!.keys.map((key) => key.kid);
    expect(kids).toContain(first);
    // Each rotation that ran saw the set of the one before it: no key was lost to a lost update.
    expect(new Set(kids).size).toBe(kids.length);
    expect(await store.acquireLock(SIGNING_KEYS_LOCK, 'probe', 1_000)).toBe(true);
  });

  it('a wrong encryption key fails to load the set with ERR_ENCRYPTION_KEY instead of making new keys', async () => {
    const store = sharedStore();
    await instances(store, 1)[0]!.signingKey();
    const sealed = await store.getState(SIGNING_KEYS_STATE);
    const [stranger] = instances(store, 1, generateEncryptionKey());
    const error = await stranger!.publicJwks().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isCimdError(error) && error.code).toBe('ERR_ENCRYPTION_KEY');
    expect(await store.getState(SIGNING_KEYS_STATE)).toBe(sealed);
  });

  it('a rotation waits for the lock another instance holds, then adopts or rotates', async () => {
    const store = sharedStore();
    const [manager] = instances(store, 1);
    const first = (await manager!.signingKey()).kid;
    const sealed = await store.getState(SIGNING_KEYS_STATE);
    expect(await store.acquireLock(SIGNING_KEYS_LOCK, 'someone-else', 60_000)).toBe(true);
    const rotation = manager!.rotate();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await store.getState(SIGNING_KEYS_STATE)).toBe(sealed);
    await store.releaseLock(SIGNING_KEYS_LOCK, 'someone-else');
    await rotation;
    expect((await manager!.signingKey()).kid).not.toBe(first);
  });
});
