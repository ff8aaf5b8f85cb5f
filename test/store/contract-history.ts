/** Contract: the client document history (CIMD §6.3 change detection, operator listings). */
import { describe, expect, it } from 'vitest';
import { isCimdError } from '../../src/errors.js';
import type { StoreHarness } from './contract.js';
import { concurrently, documentSighting, MINUTE, tally } from './fixtures.js';

const CLIENT = 'https://app.example.com/client.json';
const OTHER = 'https://other.example.com/client.json';

/** The `recordClientDocument` / `getClientDocuments` / `listClientDocuments` tests. */
export function describeHistoryContract(h: StoreHarness): void {
  describe('client document history', () => {
    it('a new pair is recorded with firstSeen = lastSeen = seenAt, its name and its changes', async () => {
      const sighting = documentSighting({ seenAt: h.clock.now() + 5 });
      expect(await h.store.recordClientDocument(sighting)).toBe(true);
      const { seenAt, ...fields } = sighting;
      expect(await h.store.getClientDocuments(CLIENT)).toStrictEqual([
        { ...fields, firstSeen: seenAt, lastSeen: seenAt },
      ]);
    });

    it('a document without a name or changes comes back without them', async () => {
      await h.store.recordClientDocument({ clientId: CLIENT, fingerprint: 'fp-1', seenAt: 1000 });
      const documents = await h.store.getClientDocuments(CLIENT);
      expect(documents).toStrictEqual([
        { clientId: CLIENT, fingerprint: 'fp-1', firstSeen: 1000, lastSeen: 1000 },
      ]);
      expect(Object.keys(documents[0] ?? {})).not.toContain('changes');
    });

    it('changes round-trip, including empty lists and an absent previousFingerprint', async () => {
      const changes = { fields: [], keysAdded: [], keysRemoved: ['a', 'b'] };
      await h.store.recordClientDocument(documentSighting({ changes }));
      expect((await h.store.getClientDocuments(CLIENT))[0]?.changes).toStrictEqual(changes);
    });

    it('a known pair resolves false and only moves lastSeen forward, never back', async () => {
      const start = h.clock.now();
      await h.store.recordClientDocument(documentSighting({ seenAt: start }));
      expect(await h.store.recordClientDocument(documentSighting({ seenAt: start + MINUTE }))).toBe(false);
      expect(await h.store.recordClientDocument(documentSighting({ seenAt: start + 10 }))).toBe(false);
      const renamed = documentSighting({ seenAt: start + 20, clientName: 'Renamed', changes: undefined });
      expect(await h.store.recordClientDocument(renamed)).toBe(false);
      const [document] = await h.store.getClientDocuments(CLIENT);
      expect(document).toMatchObject({ firstSeen: start, lastSeen: start + MINUTE });
      expect(document?.clientName).toBe(documentSighting().clientName);
      expect(document?.changes).toStrictEqual(documentSighting().changes);
    });

    it('of 50 concurrent first records of one pair exactly one resolves true', async () => {
      const results = await concurrently(50, (i) =>
        h.store.recordClientDocument(documentSighting({ seenAt: h.clock.now() + i })),
      );
      expect(tally(results, String)).toStrictEqual({ true: 1, false: 49 });
      const documents = await h.store.getClientDocuments(CLIENT);
      expect(documents).toHaveLength(1);
      expect(documents[0]?.lastSeen).toBe(h.clock.now() + 49);
    });

    it("a client's documents come oldest firstSeen first, whatever order they were recorded in", async () => {
      const start = h.clock.now();
      await h.store.recordClientDocument(documentSighting({ fingerprint: 'fp-a', seenAt: start + 3000 }));
      await h.store.recordClientDocument(documentSighting({ fingerprint: 'fp-c', seenAt: start + 1000 }));
      await h.store.recordClientDocument(documentSighting({ fingerprint: 'fp-b', seenAt: start + 2000 }));
      await h.store.recordClientDocument(documentSighting({ fingerprint: 'fp-c', seenAt: start + 4000 }));
      const documents = await h.store.getClientDocuments(CLIENT);
      expect(documents.map((d) => [d.fingerprint, d.firstSeen, d.lastSeen])).toStrictEqual([
        ['fp-c', start + 1000, start + 4000],
        ['fp-b', start + 2000, start + 2000],
        ['fp-a', start + 3000, start + 3000],
      ]);
    });

    it('an unknown client has no documents, and clients are kept apart', async () => {
      expect(await h.store.getClientDocuments(CLIENT)).toStrictEqual([]);
      await h.store.recordClientDocument(documentSighting({ clientId: OTHER }));
      expect(await h.store.getClientDocuments(CLIENT)).toStrictEqual([]);
      expect(await h.store.recordClientDocument(documentSighting())).toBe(true);
      expect((await h.store.getClientDocuments(OTHER)).map((d) => d.clientId)).toStrictEqual([OTHER]);
    });

    it('records never expire on their own', async () => {
      await h.store.recordClientDocument(documentSighting());
      h.clock.advance(400 * 24 * 60 * MINUTE);
      await h.store.recordJti('c', 'j', MINUTE);
      expect(await h.store.getClientDocuments(CLIENT)).toHaveLength(1);
    });

    it('the store keeps its own copy of what it records and returns', async () => {
      const sighting = documentSighting();
      await h.store.recordClientDocument(sighting);
      sighting.changes?.fields.push('changed');
      const [read] = await h.store.getClientDocuments(CLIENT);
      read?.changes?.keysAdded.push('changed');
      expect((await h.store.getClientDocuments(CLIENT))[0]?.changes).toStrictEqual(
        documentSighting().changes,
      );
    });

    it.each([Number.NaN, Number.POSITIVE_INFINITY])('rejects a seenAt of %s', async (seenAt) => {
      const error = await h.store.recordClientDocument(documentSighting({ seenAt })).catch((e: unknown) => e);
      expect(isCimdError(error, 'ERR_INVALID_OPTION')).toBe(true);
    });
  });

  describe('client listing', () => {
    it('lists nothing when nothing was recorded', async () => {
      expect(await h.store.listClientDocuments()).toStrictEqual([]);
    });

    it('lists clients most recently seen first, each with its newest document and counts', async () => {
      const start = h.clock.now();
      await h.store.recordClientDocument(
        documentSighting({ fingerprint: 'fp-1', seenAt: start, clientName: 'Old' }),
      );
      await h.store.recordClientDocument(
        documentSighting({
          clientId: OTHER,
          fingerprint: 'fp-x',
          seenAt: start + 1000,
          clientName: undefined,
        }),
      );
      await h.store.recordClientDocument(
        documentSighting({ fingerprint: 'fp-2', seenAt: start + 2000, clientName: 'New' }),
      );
      await h.store.recordClientDocument(documentSighting({ fingerprint: 'fp-1', seenAt: start + 3000 }));
      expect(await h.store.listClientDocuments()).toStrictEqual([
        {
          clientId: CLIENT,
          fingerprint: 'fp-2',
          clientName: 'New',
          firstSeen: start,
          lastSeen: start + 3000,
          documents: 2,
        },
        {
          clientId: OTHER,
          fingerprint: 'fp-x',
          firstSeen: start + 1000,
          lastSeen: start + 1000,
          documents: 1,
        },
      ]);
      await h.store.recordClientDocument(
        documentSighting({ clientId: OTHER, fingerprint: 'fp-x', seenAt: start + 4000 }),
      );
      expect((await h.store.listClientDocuments()).map((c) => c.clientId)).toStrictEqual([OTHER, CLIENT]);
    });

    it('pages with limit and offset', async () => {
      for (let i = 0; i < 7; i++) {
        await h.store.recordClientDocument(
          documentSighting({ clientId: `https://c${i}.example.com/client.json`, seenAt: h.clock.now() + i }),
        );
      }
      const ids = (page: { limit?: number; offset?: number }) =>
        h.store.listClientDocuments(page).then((rows) => rows.map((r) => r.clientId));
      const c = (i: number) => `https://c${i}.example.com/client.json`;
      expect(await ids({ limit: 3 })).toStrictEqual([c(6), c(5), c(4)]);
      expect(await ids({ limit: 3, offset: 3 })).toStrictEqual([c(3), c(2), c(1)]);
      expect(await ids({ limit: 3, offset: 6 })).toStrictEqual([c(0)]);
      expect(await ids({ offset: 7 })).toStrictEqual([]);
    });
  });
}
