/** The memory store: the contract, its options, and its size-bounded cache. */
import { describe, expect, it } from 'vitest';
import { isCimdError } from '../../../src/errors.js';
import { createMemoryStore, type MemoryStoreOptions } from '../../../src/store/index.js';
import { TestClock } from '../clock.js';
import { describeStoreContract } from '../contract.js';
import { MINUTE } from '../fixtures.js';

describeStoreContract('memory', async (now) => ({ store: createMemoryStore({ now }) }));

describe('createMemoryStore options', () => {
  it.each([
    { now: 'yesterday' },
    { cacheMaxEntries: 0 },
    { cacheMaxEntries: -1 },
    { cacheMaxEntries: 1.5 },
    { cacheMaxEntries: '10' },
  ])('rejects %o', (options) => {
    let error: unknown;
    try {
      createMemoryStore(options as unknown as MemoryStoreOptions);
    } catch (e) {
      error = e;
    }
    expect(isCimdError(error, 'ERR_INVALID_OPTION')).toBe(true);
  });

  it('works with no options, on the real clock', async () => {
    const store = createMemoryStore();
    expect(await store.recordJti('c', 'j', MINUTE)).toBe(true);
    expect(await store.recordJti('c', 'j', MINUTE)).toBe(false);
    await store.close();
  });

  it('cacheMaxEntries bounds the cache, evicting the least recently used entry', async () => {
    const store = createMemoryStore({ cacheMaxEntries: 2 });
    await store.cacheSet('a', '1', MINUTE);
    await store.cacheSet('b', '2', MINUTE);
    await store.cacheGet('a');
    await store.cacheSet('c', '3', MINUTE);
    expect(await store.cacheGet('a')).toBe('1');
    expect(await store.cacheGet('b')).toBeUndefined();
    expect(await store.cacheGet('c')).toBe('3');
    await store.close();
  });

  it('expired records are swept during writes without changing what reads see', async () => {
    const clock = new TestClock();
    const store = createMemoryStore({ now: clock.now });
    await store.recordJti('c', 'old', MINUTE);
    await store.cacheSet('old', 'v', MINUTE);
    clock.advance(2 * MINUTE);
    expect(await store.recordJti('c', 'new', MINUTE)).toBe(true);
    expect(await store.recordJti('c', 'old', MINUTE)).toBe(true);
    expect(await store.cacheGet('old')).toBeUndefined();
    await store.close();
  });
});
