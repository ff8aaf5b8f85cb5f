/** Contract: the operator's listings of grants (refresh token families) and consents. */
import { describe, expect, it } from 'vitest';
import { isCimdError } from '../../src/errors.js';
import type { Page } from '../../src/store/index.js';
import type { StoreHarness } from './contract.js';
import { consentRecord, familyRecord, HOUR, MINUTE, minimalFamilyRecord } from './fixtures.js';

const APP = 'https://app.example.com/client.json';
const OTHER = 'https://other.example.com/client.json';

/** The `listRefreshFamilies` / `listConsents` tests. */
export function describeListingsContract(h: StoreHarness): void {
  describe('grant listing (listRefreshFamilies)', () => {
    /** Four families: (APP, user-1) oldest, (APP, user-2), (OTHER, user-1), (OTHER, user-2) newest. */
    async function createFour(): Promise<void> {
      const pairs = [
        [APP, 'user-1'],
        [APP, 'user-2'],
        [OTHER, 'user-1'],
        [OTHER, 'user-2'],
      ] as const;
      for (const [i, [clientId, userId]] of pairs.entries()) {
        const family = familyRecord({
          familyId: `f-${i}`,
          grantId: `g-${i}`,
          clientId,
          userId,
          createdAt: h.clock.now() + i * MINUTE,
        });
        await h.store.createRefreshFamily(family, `rt-${i}`);
      }
    }
    const ids = (filter: { clientId?: string; userId?: string }, page?: Page) =>
      h.store.listRefreshFamilies(filter, page).then((families) => families.map((f) => f.familyId));

    it('lists every live family newest first, with every field', async () => {
      await createFour();
      expect(await ids({})).toStrictEqual(['f-3', 'f-2', 'f-1', 'f-0']);
      const [newest] = await h.store.listRefreshFamilies({});
      expect(newest).toStrictEqual(
        familyRecord({
          familyId: 'f-3',
          grantId: 'g-3',
          clientId: OTHER,
          userId: 'user-2',
          createdAt: h.clock.now() + 3 * MINUTE,
        }),
      );
    });

    it('filters by client, by user, and by both', async () => {
      await createFour();
      expect(await ids({ clientId: APP })).toStrictEqual(['f-1', 'f-0']);
      expect(await ids({ userId: 'user-1' })).toStrictEqual(['f-2', 'f-0']);
      expect(await ids({ clientId: OTHER, userId: 'user-2' })).toStrictEqual(['f-3']);
      expect(await ids({ clientId: 'https://unknown.example.com/client.json' })).toStrictEqual([]);
    });

    it('a family without optional fields is listed without them', async () => {
      await h.store.createRefreshFamily(minimalFamilyRecord(), 'rt-min');
      expect(await h.store.listRefreshFamilies({ userId: 'user-2' })).toStrictEqual([minimalFamilyRecord()]);
    });

    it('leaves out revoked families (by family, by grant, by reuse) and expired ones', async () => {
      await createFour();
      await h.store.revokeRefreshFamily('f-0');
      await h.store.revokeGrant('g-1');
      await h.store.rotateRefreshToken('rt-2', 'rt-2b');
      await h.store.rotateRefreshToken('rt-2', 'rt-2c');
      expect(await ids({})).toStrictEqual(['f-3']);
      await h.store.createRefreshFamily(
        familyRecord({ familyId: 'f-short', grantId: 'g-short', expiresAt: h.clock.now() + HOUR }),
        'rt-short',
      );
      expect(await ids({})).toStrictEqual(['f-3', 'f-short']);
      h.clock.advance(HOUR);
      expect(await ids({})).toStrictEqual(['f-3']);
    });

    it('a rotated family is listed once, with the changes of its rotation', async () => {
      await h.store.createRefreshFamily(familyRecord(), 'rt-0');
      await h.store.rotateRefreshToken('rt-0', 'rt-1', { clientFingerprint: 'sha256:fingerprint-2' });
      await h.store.rotateRefreshToken('rt-1', 'rt-2');
      expect(await h.store.listRefreshFamilies({})).toStrictEqual([
        familyRecord({ clientFingerprint: 'sha256:fingerprint-2' }),
      ]);
    });

    it('pages with limit and offset, 100 rows by default', async () => {
      for (let i = 0; i < 105; i++) {
        const id = `f-${String(i).padStart(3, '0')}`;
        await h.store.createRefreshFamily(
          familyRecord({ familyId: id, grantId: `g-${i}`, createdAt: h.clock.now() + i }),
          `rt-${i}`,
        );
      }
      const all = await ids({});
      expect(all).toHaveLength(100);
      expect(all[0]).toBe('f-104');
      expect(all[99]).toBe('f-005');
      expect(await ids({}, { limit: 2, offset: 1 })).toStrictEqual(['f-103', 'f-102']);
      expect(await ids({}, { offset: 100 })).toStrictEqual(['f-004', 'f-003', 'f-002', 'f-001', 'f-000']);
      expect(await ids({}, { offset: 200 })).toStrictEqual([]);
    });
  });

  describe('consent listing (listConsents)', () => {
    /** Four consents: (user-1, APP) oldest, (user-2, APP), (user-1, OTHER), (user-2, OTHER) newest. */
    async function saveFour(): Promise<void> {
      const pairs = [
        ['user-1', APP],
        ['user-2', APP],
        ['user-1', OTHER],
        ['user-2', OTHER],
      ] as const;
      for (const [i, [userId, clientId]] of pairs.entries()) {
        await h.store.saveConsent(
          consentRecord({
            userId,
            clientId,
            grantedAt: h.clock.now() + i,
            expiresAt: h.clock.now() + (i + 1) * HOUR,
          }),
        );
      }
    }
    const pairs = (filter: { clientId?: string; userId?: string }, page?: Page) =>
      h.store.listConsents(filter, page).then((consents) => consents.map((c) => `${c.userId} ${c.clientId}`));

    it('lists unexpired consents newest first, with every field', async () => {
      await saveFour();
      expect(await pairs({})).toStrictEqual([
        `user-2 ${OTHER}`,
        `user-1 ${OTHER}`,
        `user-2 ${APP}`,
        `user-1 ${APP}`,
      ]);
      expect((await h.store.listConsents({ userId: 'user-1', clientId: APP }))[0]).toStrictEqual(
        consentRecord({ expiresAt: h.clock.now() + HOUR }),
      );
    });

    it('filters by client, by user, and by both', async () => {
      await saveFour();
      expect(await pairs({ clientId: APP })).toStrictEqual([`user-2 ${APP}`, `user-1 ${APP}`]);
      expect(await pairs({ userId: 'user-1' })).toStrictEqual([`user-1 ${OTHER}`, `user-1 ${APP}`]);
      expect(await pairs({ userId: 'user-2', clientId: OTHER })).toStrictEqual([`user-2 ${OTHER}`]);
      expect(await pairs({ userId: 'user-9' })).toStrictEqual([]);
    });

    it('leaves out expired and revoked consents', async () => {
      await saveFour();
      await h.store.revokeConsent('user-2', OTHER);
      h.clock.advance(2 * HOUR);
      expect(await pairs({})).toStrictEqual([`user-1 ${OTHER}`]);
    });

    it('returns at most 1000 rows whatever the limit asks', async () => {
      for (let i = 0; i < 1001; i++) {
        await h.store.saveConsent(consentRecord({ userId: `user-${i}`, grantedAt: h.clock.now() + i }));
      }
      const listed = await h.store.listConsents({ clientId: APP }, { limit: 5000 });
      expect(listed).toHaveLength(1000);
      expect(listed[0]?.userId).toBe('user-1000');
      expect(listed[999]?.userId).toBe('user-1');
      expect(await h.store.listConsents({}, { limit: 1000, offset: 1000 })).toHaveLength(1);
      expect(await h.store.listConsents({})).toHaveLength(100);
    });

    it('the store returns copies', async () => {
      await h.store.saveConsent(consentRecord());
      const [listed] = await h.store.listConsents({});
      listed?.scopes.push('admin');
      expect((await h.store.listConsents({}))[0]).toStrictEqual(consentRecord());
    });
  });

  describe('paging arguments', () => {
    it.each([
      { limit: 0 },
      { limit: -1 },
      { limit: 1.5 },
      { offset: -1 },
      { offset: 0.5 },
      { limit: Number.NaN },
    ])('rejects the page %o', async (page) => {
      for (const call of [
        () => h.store.listRefreshFamilies({}, page),
        () => h.store.listConsents({}, page),
        () => h.store.listClientDocuments(page),
      ]) {
        const error = await call().catch((e: unknown) => e);
        expect(isCimdError(error, 'ERR_INVALID_OPTION')).toBe(true);
      }
    });
  });
}
