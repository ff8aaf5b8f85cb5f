/** Contract: single-use authorization codes (PKCE-AS-08). */
import { describe, expect, it } from 'vitest';
import { isCimdError } from '../../src/errors.js';
import type { StoreHarness } from './contract.js';
import { codeRecord, concurrently, MINUTE, minimalCodeRecord, tally } from './fixtures.js';

/** The `saveCode` / `consumeCode` tests. */
export function describeCodeContract(h: StoreHarness): void {
  describe('authorization codes (PKCE-AS-08)', () => {
    it('PKCE-AS-08: the first consumption gets the record, every later one is reused', async () => {
      const record = codeRecord();
      await h.store.saveCode('hash-1', record, MINUTE);
      expect(await h.store.consumeCode('hash-1')).toStrictEqual({ status: 'consumed', record });
      expect(await h.store.consumeCode('hash-1')).toStrictEqual({ status: 'reused', record });
      expect(await h.store.consumeCode('hash-1')).toStrictEqual({ status: 'reused', record });
    });

    it('PKCE-AS-08: a record without optional fields comes back without them', async () => {
      await h.store.saveCode('hash-min', minimalCodeRecord(), MINUTE);
      const result = await h.store.consumeCode('hash-min');
      expect(result).toStrictEqual({ status: 'consumed', record: minimalCodeRecord() });
      expect(Object.keys(result.status === 'consumed' ? result.record : {})).not.toContain('extra');
    });

    it('PKCE-AS-08: an unknown code is invalid', async () => {
      await h.store.saveCode('hash-1', codeRecord(), MINUTE);
      expect(await h.store.consumeCode('hash-2')).toStrictEqual({ status: 'invalid' });
      expect(await h.store.consumeCode('')).toStrictEqual({ status: 'invalid' });
    });

    it('PKCE-AS-08: a code expired before its first use is invalid', async () => {
      await h.store.saveCode('hash-1', codeRecord(), MINUTE);
      h.clock.advance(MINUTE);
      expect(await h.store.consumeCode('hash-1')).toStrictEqual({ status: 'invalid' });
    });

    it('PKCE-AS-08: a code is usable until the last millisecond of its ttl', async () => {
      await h.store.saveCode('hash-1', codeRecord(), MINUTE);
      h.clock.advance(MINUTE - 1);
      expect((await h.store.consumeCode('hash-1')).status).toBe('consumed');
    });

    it('PKCE-AS-08: a consumed code is reused until it expires, then invalid', async () => {
      await h.store.saveCode('hash-1', codeRecord(), MINUTE);
      await h.store.consumeCode('hash-1');
      h.clock.advance(MINUTE - 1);
      expect((await h.store.consumeCode('hash-1')).status).toBe('reused');
      h.clock.advance(1);
      expect(await h.store.consumeCode('hash-1')).toStrictEqual({ status: 'invalid' });
    });

    it('PKCE-AS-08: the reused result carries the grant id, so the caller can revoke it', async () => {
      await h.store.saveCode('hash-1', codeRecord({ grantId: 'grant-xyz' }), MINUTE);
      await h.store.consumeCode('hash-1');
      const replay = await h.store.consumeCode('hash-1');
      expect(replay.status === 'reused' && replay.record.grantId).toBe('grant-xyz');
    });

    it('PKCE-AS-08: of 200 concurrent consumptions of one code exactly one wins', async () => {
      await h.store.saveCode('hash-race', codeRecord(), MINUTE);
      const results = await concurrently(200, () => h.store.consumeCode('hash-race'));
      expect(tally(results, (r) => r.status)).toStrictEqual({ consumed: 1, reused: 199 });
    });

    it('PKCE-AS-08: codes are independent of each other', async () => {
      await h.store.saveCode('hash-1', codeRecord({ grantId: 'g1' }), MINUTE);
      await h.store.saveCode('hash-2', codeRecord({ grantId: 'g2' }), MINUTE);
      await h.store.consumeCode('hash-1');
      const second = await h.store.consumeCode('hash-2');
      expect(second.status === 'consumed' && second.record.grantId).toBe('g2');
    });

    it('PKCE-AS-08: a live code is never overwritten (its consumption cannot be reset)', async () => {
      await h.store.saveCode('hash-1', codeRecord({ grantId: 'g1' }), MINUTE);
      await h.store.consumeCode('hash-1');
      await expect(h.store.saveCode('hash-1', codeRecord({ grantId: 'g2' }), MINUTE)).rejects.toThrow(
        /already saved/,
      );
      const replay = await h.store.consumeCode('hash-1');
      expect(replay.status === 'reused' && replay.record.grantId).toBe('g1');
    });

    it('an expired code hash may be saved again, as a new code', async () => {
      await h.store.saveCode('hash-1', codeRecord({ grantId: 'g1' }), MINUTE);
      await h.store.consumeCode('hash-1');
      h.clock.advance(MINUTE);
      await h.store.saveCode('hash-1', codeRecord({ grantId: 'g2' }), MINUTE);
      const result = await h.store.consumeCode('hash-1');
      expect(result.status === 'consumed' && result.record.grantId).toBe('g2');
    });

    it('the store keeps its own copy: changing a saved or returned record changes nothing', async () => {
      const record = codeRecord();
      await h.store.saveCode('hash-1', record, MINUTE);
      record.resources.push('https://evil.example');
      (record.extra as { nonce: string }).nonce = 'changed';
      const first = await h.store.consumeCode('hash-1');
      if (first.status !== 'consumed') throw new Error('expected consumed');
      first.record.scope = 'admin';
      expect(await h.store.consumeCode('hash-1')).toStrictEqual({ status: 'reused', record: codeRecord() });
    });

    it.each([0, -5, Number.NaN])('rejects a ttl of %s ms', async (ttlMs) => {
      const error = await h.store.saveCode('hash-1', codeRecord(), ttlMs).catch((e: unknown) => e);
      expect(isCimdError(error, 'ERR_INVALID_OPTION')).toBe(true);
      expect(await h.store.consumeCode('hash-1')).toStrictEqual({ status: 'invalid' });
    });
  });
}
