/**
 * Contract: `recordJtiAndRotate`, a refresh grant's replay record and rotation in one atomic step
 * (PKJ-09 and MCP-AS-13 together), for the stores that offer it.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { isCimdError } from '../../src/errors.js';
import type { JtiRecord, RecordJtiAndRotateResult, RefreshFamilyChanges } from '../../src/store/index.js';
import type { StoreHarness } from './contract.js';
import { concurrently, familyRecord, MINUTE, tally } from './fixtures.js';

const jti = (value = 'jti-1', clientId = 'client-a'): JtiRecord => ({ clientId, jti: value, ttlMs: MINUTE });

/** The `recordJtiAndRotate` tests, skipped for a store that does not offer the method. */
export function describeJtiRotationContract(h: StoreHarness): void {
  describe('recordJtiAndRotate (PKJ-09, MCP-AS-13)', () => {
    beforeEach((context) => {
      if (h.store.recordJtiAndRotate === undefined) context.skip();
    });

    function recordAndRotate(
      record: JtiRecord,
      oldHash: string,
      newHash: string,
      changes?: RefreshFamilyChanges,
    ): Promise<RecordJtiAndRotateResult> {
      const method = h.store.recordJtiAndRotate;
      if (method === undefined) throw new Error('this store does not offer recordJtiAndRotate');
      return method.call(h.store, record, oldHash, newHash, changes);
    }

    it('PKJ-09: a new jti rotates the token and stays recorded', async () => {
      const family = familyRecord();
      await h.store.createRefreshFamily(family, 'rt-0');
      expect(await recordAndRotate(jti(), 'rt-0', 'rt-1')).toStrictEqual({ status: 'rotated', family });
      expect(await h.store.recordJti('client-a', 'jti-1', MINUTE)).toBe(false);
      expect((await h.store.rotateRefreshToken('rt-1', 'rt-2')).status).toBe('rotated');
    });

    it('PKJ-09: a jti already recorded is replayed: nothing rotates', async () => {
      const family = familyRecord();
      await h.store.createRefreshFamily(family, 'rt-0');
      expect(await h.store.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
      expect(await recordAndRotate(jti(), 'rt-0', 'rt-1')).toStrictEqual({ status: 'replayed' });
      expect(await h.store.findRefreshFamily('rt-1')).toBeUndefined();
      expect(await recordAndRotate(jti('jti-2'), 'rt-0', 'rt-1')).toStrictEqual({
        status: 'rotated',
        family,
      });
    });

    it('PKJ-09: a replayed jti with an earlier token does not revoke the family', async () => {
      const family = familyRecord();
      await h.store.createRefreshFamily(family, 'rt-0');
      expect((await recordAndRotate(jti('jti-1'), 'rt-0', 'rt-1')).status).toBe('rotated');
      expect(await recordAndRotate(jti('jti-1'), 'rt-0', 'rt-x')).toStrictEqual({ status: 'replayed' });
      expect(await recordAndRotate(jti('jti-2'), 'rt-1', 'rt-2')).toStrictEqual({
        status: 'rotated',
        family,
      });
    });

    it('MCP-AS-13: with a new jti the rotation decides as rotateRefreshToken does, and the jti stays recorded', async () => {
      const family = familyRecord();
      await h.store.createRefreshFamily(family, 'rt-0');
      await h.store.rotateRefreshToken('rt-0', 'rt-1');
      expect(await recordAndRotate(jti('jti-invalid'), 'rt-unknown', 'rt-x')).toStrictEqual({
        status: 'invalid',
      });
      expect(await recordAndRotate(jti('jti-reused'), 'rt-0', 'rt-y')).toStrictEqual({
        status: 'reused',
        family,
      });
      expect(await recordAndRotate(jti('jti-revoked'), 'rt-1', 'rt-z')).toStrictEqual({
        status: 'revoked',
        family,
      });
      for (const used of ['jti-invalid', 'jti-reused', 'jti-revoked']) {
        expect(await h.store.recordJti('client-a', used, MINUTE)).toBe(false);
      }
    });

    it('PKJ-17: changes are applied with the rotation', async () => {
      await h.store.createRefreshFamily(familyRecord(), 'rt-0');
      const result = await recordAndRotate(jti(), 'rt-0', 'rt-1', { keyThumbprint: 'key-2' });
      expect(result.status === 'rotated' && result.family.keyThumbprint).toBe('key-2');
      expect((await h.store.findRefreshFamily('rt-1'))?.keyThumbprint).toBe('key-2');
    });

    it('a failed rotation (the new hash is taken) records no jti either', async () => {
      await h.store.createRefreshFamily(familyRecord(), 'rt-0');
      await h.store.createRefreshFamily(familyRecord({ familyId: 'family-2' }), 'rt-taken');
      await expect(recordAndRotate(jti(), 'rt-0', 'rt-taken')).rejects.toThrow(/already in use/);
      expect(await h.store.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
      expect((await h.store.rotateRefreshToken('rt-0', 'rt-1')).status).toBe('rotated');
    });

    it('PKJ-09: the jti record expires after its ttl', async () => {
      await h.store.createRefreshFamily(familyRecord(), 'rt-0');
      await recordAndRotate(jti(), 'rt-0', 'rt-1');
      h.clock.advance(MINUTE);
      expect(await h.store.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
    });

    it('PKJ-09: an expired jti record counts as absent, and a replay does not extend a live one', async () => {
      await h.store.createRefreshFamily(familyRecord(), 'rt-0');
      expect(await h.store.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
      h.clock.advance(MINUTE / 2);
      expect((await recordAndRotate({ ...jti(), ttlMs: 10 * MINUTE }, 'rt-0', 'rt-1')).status).toBe(
        'replayed',
      );
      h.clock.advance(MINUTE / 2);
      expect((await recordAndRotate(jti(), 'rt-0', 'rt-1')).status).toBe('rotated');
      expect(await h.store.recordJti('client-a', 'jti-1', MINUTE)).toBe(false);
    });

    it('PKJ-09: replayed comes first, before an unknown token or a taken new hash', async () => {
      await h.store.createRefreshFamily(familyRecord(), 'rt-0');
      await h.store.createRefreshFamily(familyRecord({ familyId: 'family-2' }), 'rt-taken');
      await h.store.recordJti('client-a', 'jti-1', MINUTE);
      expect(await recordAndRotate(jti(), 'rt-unknown', 'rt-1')).toStrictEqual({ status: 'replayed' });
      expect(await recordAndRotate(jti(), 'rt-0', 'rt-taken')).toStrictEqual({ status: 'replayed' });
      expect((await h.store.rotateRefreshToken('rt-0', 'rt-1')).status).toBe('rotated');
    });

    it('PKJ-09: of 50 concurrent calls with one jti on distinct families exactly one rotates', async () => {
      for (let i = 0; i < 50; i++) {
        await h.store.createRefreshFamily(familyRecord({ familyId: `family-${i}` }), `rt-${i}`);
      }
      const results = await concurrently(50, (i) =>
        recordAndRotate(jti('jti-race'), `rt-${i}`, `rt-new-${i}`),
      );
      expect(tally(results, (r) => r.status)).toStrictEqual({ rotated: 1, replayed: 49 });
      const rotated = results.findIndex((r) => r.status === 'rotated');
      for (let i = 0; i < 50; i++) {
        if (i !== rotated)
          expect((await h.store.rotateRefreshToken(`rt-${i}`, `rt-next-${i}`)).status).toBe('rotated');
      }
    });

    it('MCP-AS-13: of 50 concurrent calls with distinct jtis on one token exactly one rotates', async () => {
      await h.store.createRefreshFamily(familyRecord(), 'rt-0');
      const results = await concurrently(50, (i) => recordAndRotate(jti(`jti-${i}`), 'rt-0', `rt-new-${i}`));
      expect(tally(results, (r) => r.status)).toStrictEqual({ rotated: 1, reused: 49 });
    });

    it.each([0, -1, Number.NaN])('rejects a ttl of %s ms and changes nothing', async (ttlMs) => {
      await h.store.createRefreshFamily(familyRecord(), 'rt-0');
      const error = await recordAndRotate({ ...jti(), ttlMs }, 'rt-0', 'rt-1').catch((e: unknown) => e);
      expect(isCimdError(error, 'ERR_INVALID_OPTION')).toBe(true);
      expect((await h.store.rotateRefreshToken('rt-0', 'rt-1')).status).toBe('rotated');
    });
  });
}
