/** Contract: client assertion replay records (PKJ-09). */
import { describe, expect, it } from 'vitest';
import { isCimdError } from '../../src/errors.js';
import type { StoreHarness } from './contract.js';
import { concurrently, MINUTE } from './fixtures.js';

/** The `recordJti` tests. */
export function describeJtiContract(h: StoreHarness): void {
  describe('recordJti (PKJ-09)', () => {
    it('PKJ-09: a new jti is recorded and the same one again is a replay', async () => {
      expect(await h.store.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
      expect(await h.store.recordJti('client-a', 'jti-1', MINUTE)).toBe(false);
      expect(await h.store.recordJti('client-a', 'jti-1', MINUTE)).toBe(false);
    });

    it('PKJ-09: jtis are per client, and distinct jtis of one client are distinct', async () => {
      expect(await h.store.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
      expect(await h.store.recordJti('client-b', 'jti-1', MINUTE)).toBe(true);
      expect(await h.store.recordJti('client-a', 'jti-2', MINUTE)).toBe(true);
      expect(await h.store.recordJti('client-b', 'jti-1', MINUTE)).toBe(false);
    });

    it('PKJ-09: pairs whose parts could be confused stay apart', async () => {
      expect(await h.store.recordJti('a:b', 'c', MINUTE)).toBe(true);
      expect(await h.store.recordJti('a', 'b:c', MINUTE)).toBe(true);
      expect(await h.store.recordJti('a\u0000b', 'c', MINUTE)).toBe(true);
    });

    it('PKJ-09: the record lasts until its ttl and the jti is new again afterwards', async () => {
      expect(await h.store.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
      h.clock.advance(MINUTE - 1);
      expect(await h.store.recordJti('client-a', 'jti-1', MINUTE)).toBe(false);
      h.clock.advance(1);
      expect(await h.store.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
      expect(await h.store.recordJti('client-a', 'jti-1', MINUTE)).toBe(false);
    });

    it('PKJ-09: a replay does not extend the record', async () => {
      await h.store.recordJti('client-a', 'jti-1', MINUTE);
      h.clock.advance(MINUTE / 2);
      expect(await h.store.recordJti('client-a', 'jti-1', 10 * MINUTE)).toBe(false);
      h.clock.advance(MINUTE / 2);
      expect(await h.store.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
    });

    it('PKJ-09: of 200 concurrent recordings of one pair exactly one is new', async () => {
      const results = await concurrently(200, () => h.store.recordJti('client-a', 'jti-race', MINUTE));
      expect(results.filter((isNew) => isNew)).toHaveLength(1);
    });

    it('PKJ-09: concurrent recordings of distinct jtis are all new', async () => {
      const results = await concurrently(50, (i) => h.store.recordJti('client-a', `jti-${i}`, MINUTE));
      expect(results.every((isNew) => isNew)).toBe(true);
    });

    it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects a ttl of %s ms', async (ttlMs) => {
      const error = await h.store.recordJti('client-a', 'jti-1', ttlMs).catch((e: unknown) => e);
      expect(isCimdError(error, 'ERR_INVALID_OPTION')).toBe(true);
      expect(await h.store.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
    });
  });
}
