/** The memory store: the contract, its options, and its size-bounded cache. */
import { describe, expect, it } from 'vitest';
import { isCimdError } from '../../../src/errors.js';
import { createMemoryStore, type MemoryStoreOptions } from '../../../src/store/index.js';
import { TestClock } from '../clock.js';
import { describeStoreContract } from '../contract.js';
import { documentSighting, MINUTE } from '../fixtures.js';

describeStoreContract('memory', async (now) => ({ store: createMemoryStore({ now }) }));

describe('createMemoryStore options', () => {
  it.each([
    { now: 'yesterday' },
    { cacheMaxEntries: 0 },
    { cacheMaxEntries: -1 },
    { cacheMaxEntries: 1.5 },
    { cacheMaxEntries: '10' },
    { maxDocumentClients: 0 },
    { maxDocumentClients: 2.5 },
    { maxDocumentsPerClient: -3 },
    { maxDocumentsPerClient: '100' },
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

describe('memory store document history bounds', () => {
  it('keeps at most maxDocumentsPerClient fingerprints per client, dropping the first seen earliest', async () => {
    const store = createMemoryStore({ maxDocumentsPerClient: 3 });
    for (let i = 0; i < 5; i++) {
      await store.recordClientDocument(documentSighting({ fingerprint: `fp-${i}`, seenAt: 1000 + i }));
    }
    const documents = await store.getClientDocuments(documentSighting().clientId);
    expect(documents.map((d) => d.fingerprint)).toStrictEqual(['fp-2', 'fp-3', 'fp-4']);
    expect((await store.listClientDocuments())[0]).toMatchObject({ documents: 3, firstSeen: 1002 });
    expect(await store.recordClientDocument(documentSighting({ fingerprint: 'fp-0', seenAt: 2000 }))).toBe(
      true,
    );
    await store.close();
  });

  it('keeps at most maxDocumentClients clients, dropping the one recorded least recently', async () => {
    const store = createMemoryStore({ maxDocumentClients: 2 });
    const client = (name: string) => `https://${name}.example.com/client.json`;
    await store.recordClientDocument(documentSighting({ clientId: client('a'), seenAt: 1 }));
    await store.recordClientDocument(documentSighting({ clientId: client('b'), seenAt: 2 }));
    await store.recordClientDocument(documentSighting({ clientId: client('a'), seenAt: 3 }));
    await store.recordClientDocument(documentSighting({ clientId: client('c'), seenAt: 4 }));
    expect((await store.listClientDocuments()).map((c) => c.clientId)).toStrictEqual([
      client('c'),
      client('a'),
    ]);
    expect(await store.getClientDocuments(client('b'))).toStrictEqual([]);
    await store.close();
  });

  it('defaults to 100 fingerprints per client', async () => {
    const store = createMemoryStore();
    for (let i = 0; i < 101; i++) {
      await store.recordClientDocument(documentSighting({ fingerprint: `fp-${i}`, seenAt: i }));
    }
    const documents = await store.getClientDocuments(documentSighting().clientId);
    expect(documents).toHaveLength(100);
    expect(documents[0]?.fingerprint).toBe('fp-1');
    await store.close();
  });
});
