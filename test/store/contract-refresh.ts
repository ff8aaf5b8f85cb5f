/** Contract: refresh token families, rotation and reuse detection (MCP-AS-13). */
import { describe, expect, it } from 'vitest';
import type { StoreHarness } from './contract.js';
import { concurrently, familyRecord, HOUR, minimalFamilyRecord, tally } from './fixtures.js';

/** The refresh token family tests. */
export function describeRefreshContract(h: StoreHarness): void {
  describe('refresh token families (MCP-AS-13)', () => {
    it('MCP-AS-13: a created family is found by its token, with every field', async () => {
      const family = familyRecord();
      await h.store.createRefreshFamily(family, 'rt-0');
      expect(await h.store.findRefreshFamily('rt-0')).toStrictEqual(family);
      expect(await h.store.findRefreshFamily('rt-unknown')).toBeUndefined();
    });

    it('a family without optional fields comes back without them', async () => {
      await h.store.createRefreshFamily(minimalFamilyRecord(), 'rt-0');
      expect(await h.store.findRefreshFamily('rt-0')).toStrictEqual(minimalFamilyRecord());
    });

    it('MCP-AS-13: rotation makes the new token current, and the chain continues', async () => {
      const family = familyRecord();
      await h.store.createRefreshFamily(family, 'rt-0');
      expect(await h.store.rotateRefreshToken('rt-0', 'rt-1')).toStrictEqual({ status: 'rotated', family });
      expect(await h.store.rotateRefreshToken('rt-1', 'rt-2')).toStrictEqual({ status: 'rotated', family });
      expect(await h.store.rotateRefreshToken('rt-2', 'rt-3')).toStrictEqual({ status: 'rotated', family });
    });

    it('MCP-AS-13: findRefreshFamily finds the family by its current or any earlier token, changing nothing', async () => {
      const family = familyRecord();
      await h.store.createRefreshFamily(family, 'rt-0');
      await h.store.rotateRefreshToken('rt-0', 'rt-1');
      await h.store.rotateRefreshToken('rt-1', 'rt-2');
      for (const hash of ['rt-0', 'rt-1', 'rt-2'])
        expect(await h.store.findRefreshFamily(hash)).toStrictEqual(family);
      expect((await h.store.rotateRefreshToken('rt-2', 'rt-3')).status).toBe('rotated');
    });

    it('MCP-AS-13: presenting an earlier token is reuse: the family is revoked and its newest token refused', async () => {
      const family = familyRecord();
      await h.store.createRefreshFamily(family, 'rt-0');
      await h.store.rotateRefreshToken('rt-0', 'rt-1');
      await h.store.rotateRefreshToken('rt-1', 'rt-2');
      expect(await h.store.rotateRefreshToken('rt-0', 'rt-x')).toStrictEqual({ status: 'reused', family });
      expect(await h.store.rotateRefreshToken('rt-2', 'rt-3')).toStrictEqual({ status: 'revoked', family });
      expect(await h.store.rotateRefreshToken('rt-1', 'rt-y')).toStrictEqual({ status: 'reused', family });
      expect(await h.store.rotateRefreshToken('rt-2', 'rt-3')).toStrictEqual({ status: 'revoked', family });
      expect(await h.store.findRefreshFamily('rt-2')).toStrictEqual(family);
      expect(await h.store.findRefreshFamily('rt-x')).toBeUndefined();
    });

    it('MCP-AS-13: of 50 concurrent rotations of one token exactly one wins; the rest are reuse', async () => {
      await h.store.createRefreshFamily(familyRecord(), 'rt-0');
      const results = await concurrently(50, (i) => h.store.rotateRefreshToken('rt-0', `rt-new-${i}`));
      expect(tally(results, (r) => r.status)).toStrictEqual({ rotated: 1, reused: 49 });
      const winner = results.findIndex((r) => r.status === 'rotated');
      expect((await h.store.rotateRefreshToken(`rt-new-${winner}`, 'rt-after')).status).toBe('revoked');
    });

    it('MCP-AS-13: an unknown token is invalid', async () => {
      await h.store.createRefreshFamily(familyRecord(), 'rt-0');
      expect(await h.store.rotateRefreshToken('rt-unknown', 'rt-1')).toStrictEqual({ status: 'invalid' });
      expect((await h.store.rotateRefreshToken('rt-0', 'rt-1')).status).toBe('rotated');
    });

    it('MCP-AS-13: once the family expires its tokens are invalid and it is no longer found', async () => {
      await h.store.createRefreshFamily(minimalFamilyRecord({ expiresAt: h.clock.now() + HOUR }), 'rt-0');
      await h.store.rotateRefreshToken('rt-0', 'rt-1');
      h.clock.advance(HOUR - 1);
      expect(await h.store.findRefreshFamily('rt-1')).toBeDefined();
      h.clock.advance(1);
      expect(await h.store.rotateRefreshToken('rt-1', 'rt-2')).toStrictEqual({ status: 'invalid' });
      expect(await h.store.rotateRefreshToken('rt-0', 'rt-2')).toStrictEqual({ status: 'invalid' });
      expect(await h.store.findRefreshFamily('rt-1')).toBeUndefined();
    });

    it('an expired revoked family is invalid, not revoked', async () => {
      await h.store.createRefreshFamily(minimalFamilyRecord({ expiresAt: h.clock.now() + HOUR }), 'rt-0');
      await h.store.revokeRefreshFamily('family-min');
      h.clock.advance(HOUR);
      expect(await h.store.rotateRefreshToken('rt-0', 'rt-1')).toStrictEqual({ status: 'invalid' });
    });

    it('revokeRefreshFamily revokes one family, idempotently, and ignores unknown ids', async () => {
      const family = familyRecord();
      await h.store.createRefreshFamily(family, 'rt-00');
      await h.store.rotateRefreshToken('rt-00', 'rt-0');
      await h.store.createRefreshFamily(familyRecord({ familyId: 'family-2' }), 'rt-other');
      await h.store.revokeRefreshFamily('family-1');
      await h.store.revokeRefreshFamily('family-1');
      await h.store.revokeRefreshFamily('family-unknown');
      expect(await h.store.rotateRefreshToken('rt-0', 'rt-1')).toStrictEqual({ status: 'revoked', family });
      expect(await h.store.rotateRefreshToken('rt-00', 'rt-1')).toStrictEqual({ status: 'reused', family });
      expect((await h.store.rotateRefreshToken('rt-other', 'rt-2')).status).toBe('rotated');
    });

    it('PKCE-AS-08: revokeGrant revokes every family of the grant and no other', async () => {
      await h.store.createRefreshFamily(familyRecord({ familyId: 'f1', grantId: 'g1' }), 'rt-a');
      await h.store.createRefreshFamily(familyRecord({ familyId: 'f2', grantId: 'g1' }), 'rt-b');
      await h.store.createRefreshFamily(familyRecord({ familyId: 'f3', grantId: 'g2' }), 'rt-c');
      await h.store.rotateRefreshToken('rt-a', 'rt-a1');
      await h.store.revokeGrant('g1');
      await h.store.revokeGrant('g1');
      await h.store.revokeGrant('g-unknown');
      expect((await h.store.rotateRefreshToken('rt-a1', 'rt-a2')).status).toBe('revoked');
      expect((await h.store.rotateRefreshToken('rt-b', 'rt-b1')).status).toBe('revoked');
      expect((await h.store.rotateRefreshToken('rt-c', 'rt-c1')).status).toBe('rotated');
    });

    it('PKCE-AS-08: a family created for a grant after it was revoked is born revoked (replay race)', async () => {
      await h.store.revokeGrant('g1');
      const family = familyRecord({ grantId: 'g1' });
      await h.store.createRefreshFamily(family, 'rt-0');
      expect(await h.store.rotateRefreshToken('rt-0', 'rt-1')).toStrictEqual({ status: 'revoked', family });
    });

    it('a live family id or token hash cannot be created twice', async () => {
      await h.store.createRefreshFamily(familyRecord(), 'rt-0');
      await expect(h.store.createRefreshFamily(familyRecord(), 'rt-9')).rejects.toMatchObject({
        code: 'ERR_STORE_CONFLICT',
      });
      await expect(
        h.store.createRefreshFamily(familyRecord({ familyId: 'family-2' }), 'rt-0'),
      ).rejects.toThrow(/already in use/);
      expect(await h.store.findRefreshFamily('rt-9')).toBeUndefined();
      expect((await h.store.findRefreshFamily('rt-0'))?.familyId).toBe('family-1');
    });

    it('rotating to a hash already in use fails and leaves the old token current', async () => {
      await h.store.createRefreshFamily(familyRecord(), 'rt-0');
      await h.store.createRefreshFamily(familyRecord({ familyId: 'family-2' }), 'rt-taken');
      await expect(h.store.rotateRefreshToken('rt-0', 'rt-taken')).rejects.toThrow(/already in use/);
      expect((await h.store.rotateRefreshToken('rt-0', 'rt-1')).status).toBe('rotated');
      expect((await h.store.findRefreshFamily('rt-taken'))?.familyId).toBe('family-2');
    });

    it('an expired family id and its token hashes may be used again', async () => {
      await h.store.createRefreshFamily(minimalFamilyRecord({ expiresAt: h.clock.now() + HOUR }), 'rt-0');
      h.clock.advance(HOUR);
      const renewed = minimalFamilyRecord({ expiresAt: h.clock.now() + HOUR, scope: 'renewed' });
      await h.store.createRefreshFamily(renewed, 'rt-0');
      expect(await h.store.findRefreshFamily('rt-0')).toStrictEqual(renewed);
      expect((await h.store.rotateRefreshToken('rt-0', 'rt-1')).status).toBe('rotated');
    });

    it('PKJ-17: a rotation with changes re-binds the key and fingerprint atomically, and later lookups see them', async () => {
      const family = familyRecord();
      await h.store.createRefreshFamily(family, 'rt-0');
      const changes = { keyThumbprint: 'thumb-2', clientFingerprint: 'sha256:fingerprint-2' };
      const rebound = { ...family, ...changes };
      expect(await h.store.rotateRefreshToken('rt-0', 'rt-1', changes)).toStrictEqual({
        status: 'rotated',
        family: rebound,
      });
      expect(await h.store.findRefreshFamily('rt-1')).toStrictEqual(rebound);
      expect(await h.store.findRefreshFamily('rt-0')).toStrictEqual(rebound);
      expect(await h.store.rotateRefreshToken('rt-1', 'rt-2')).toStrictEqual({
        status: 'rotated',
        family: rebound,
      });
    });

    it('a rotation may change one field only, and adds it to a family that had none', async () => {
      const family = minimalFamilyRecord();
      await h.store.createRefreshFamily(family, 'rt-0');
      const result = await h.store.rotateRefreshToken('rt-0', 'rt-1', { clientFingerprint: 'fp-new' });
      expect(result).toStrictEqual({ status: 'rotated', family: { ...family, clientFingerprint: 'fp-new' } });
      const next = await h.store.rotateRefreshToken('rt-1', 'rt-2', { keyThumbprint: 'thumb-new' });
      expect(next).toStrictEqual({
        status: 'rotated',
        family: { ...family, clientFingerprint: 'fp-new', keyThumbprint: 'thumb-new' },
      });
      expect(await h.store.rotateRefreshToken('rt-2', 'rt-3', {})).toStrictEqual(next);
    });

    it('changes are not applied when the rotation is reuse, revoked or invalid', async () => {
      const family = familyRecord();
      await h.store.createRefreshFamily(family, 'rt-0');
      await h.store.rotateRefreshToken('rt-0', 'rt-1');
      const changes = { keyThumbprint: 'thumb-x', clientFingerprint: 'fp-x' };
      expect(await h.store.rotateRefreshToken('rt-0', 'rt-x', changes)).toStrictEqual({
        status: 'reused',
        family,
      });
      expect(await h.store.rotateRefreshToken('rt-1', 'rt-y', changes)).toStrictEqual({
        status: 'revoked',
        family,
      });
      expect(await h.store.rotateRefreshToken('rt-unknown', 'rt-z', changes)).toStrictEqual({
        status: 'invalid',
      });
      expect(await h.store.findRefreshFamily('rt-1')).toStrictEqual(family);
    });

    it("of concurrent rotations with different changes, only the winner's are kept", async () => {
      await h.store.createRefreshFamily(familyRecord(), 'rt-0');
      const results = await concurrently(20, (i) =>
        h.store.rotateRefreshToken('rt-0', `rt-new-${i}`, { keyThumbprint: `thumb-${i}` }),
      );
      const winner = results.findIndex((r) => r.status === 'rotated');
      expect(winner).toBeGreaterThanOrEqual(0);
      expect((await h.store.findRefreshFamily('rt-0'))?.keyThumbprint).toBe(`thumb-${winner}`);
    });

    it('the store keeps its own copy of a family', async () => {
      const family = familyRecord();
      await h.store.createRefreshFamily(family, 'rt-0');
      family.resources.push('https://evil.example');
      const found = await h.store.findRefreshFamily('rt-0');
      found?.resources.push('https://evil.example');
      expect(await h.store.findRefreshFamily('rt-0')).toStrictEqual(familyRecord());
    });
  });
}
