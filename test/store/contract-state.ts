/** Contract: durable server values with compare-and-set, and named locks. */
import { describe, expect, it } from 'vitest';
import { isCimdError } from '../../src/errors.js';
import type { StoreHarness } from './contract.js';
import { concurrently, HOUR, MINUTE, tally } from './fixtures.js';

/** The `getState` / `putState` / `acquireLock` / `releaseLock` tests. */
export function describeStateContract(h: StoreHarness): void {
  describe('durable state', () => {
    it('a value is absent until put, then read back; putting again overwrites', async () => {
      expect(await h.store.getState('signing-keys')).toBeUndefined();
      expect(await h.store.putState('signing-keys', 'sealed-1')).toBe(true);
      expect(await h.store.getState('signing-keys')).toBe('sealed-1');
      expect(await h.store.putState('signing-keys', 'sealed-2')).toBe(true);
      expect(await h.store.getState('signing-keys')).toBe('sealed-2');
    });

    it('values are kept apart by name, and an empty string or large text is a value', async () => {
      const large = `${'ünï"x'.repeat(20_000)}\n`;
      await h.store.putState('a', '');
      await h.store.putState('b', large);
      expect(await h.store.getState('a')).toBe('');
      expect(await h.store.getState('b')).toBe(large);
      expect(await h.store.getState('c')).toBeUndefined();
    });

    it('values never expire', async () => {
      await h.store.putState('a', 'v');
      h.clock.advance(400 * 24 * HOUR);
      await h.store.recordJti('c', 'j', MINUTE);
      expect(await h.store.getState('a')).toBe('v');
    });

    it('compare-and-set writes only over the expected value', async () => {
      await h.store.putState('a', 'v1');
      expect(await h.store.putState('a', 'v2', 'v1')).toBe(true);
      expect(await h.store.getState('a')).toBe('v2');
      expect(await h.store.putState('a', 'v3', 'v1')).toBe(false);
      expect(await h.store.getState('a')).toBe('v2');
      expect(await h.store.putState('a', 'v2', 'v2')).toBe(true);
      expect(await h.store.putState('a', 'v3', '')).toBe(false);
      expect(await h.store.getState('a')).toBe('v2');
    });

    it('expected null writes only when there is no value', async () => {
      expect(await h.store.putState('a', 'v1', null)).toBe(true);
      expect(await h.store.putState('a', 'v2', null)).toBe(false);
      expect(await h.store.getState('a')).toBe('v1');
    });

    it('an expected value never creates an absent one', async () => {
      expect(await h.store.putState('a', 'v1', 'v0')).toBe(false);
      expect(await h.store.getState('a')).toBeUndefined();
    });

    it('of 50 concurrent compare-and-sets expecting one value exactly one writes', async () => {
      await h.store.putState('a', 'v0');
      const results = await concurrently(50, (i) => h.store.putState('a', `v-${i}`, 'v0'));
      expect(tally(results, String)).toStrictEqual({ true: 1, false: 49 });
      expect(await h.store.getState('a')).toBe(`v-${results.indexOf(true)}`);
    });

    it('of 50 concurrent first writes (expected null) exactly one writes', async () => {
      const results = await concurrently(50, (i) => h.store.putState('a', `v-${i}`, null));
      expect(tally(results, String)).toStrictEqual({ true: 1, false: 49 });
      expect(await h.store.getState('a')).toBe(`v-${results.indexOf(true)}`);
    });
  });

  describe('locks', () => {
    it('a free lock is taken; another owner is refused while it is held', async () => {
      expect(await h.store.acquireLock('rotate-keys', 'instance-a', MINUTE)).toBe(true);
      expect(await h.store.acquireLock('rotate-keys', 'instance-b', MINUTE)).toBe(false);
      expect(await h.store.acquireLock('other-lock', 'instance-b', MINUTE)).toBe(true);
    });

    it('the lock is free again once its ttl has passed', async () => {
      await h.store.acquireLock('l', 'a', MINUTE);
      h.clock.advance(MINUTE - 1);
      expect(await h.store.acquireLock('l', 'b', MINUTE)).toBe(false);
      h.clock.advance(1);
      expect(await h.store.acquireLock('l', 'b', MINUTE)).toBe(true);
      expect(await h.store.acquireLock('l', 'a', MINUTE)).toBe(false);
    });

    it('the owner acquiring again extends its hold', async () => {
      await h.store.acquireLock('l', 'a', MINUTE);
      h.clock.advance(MINUTE - 1);
      expect(await h.store.acquireLock('l', 'a', MINUTE)).toBe(true);
      h.clock.advance(MINUTE - 1);
      expect(await h.store.acquireLock('l', 'b', MINUTE)).toBe(false);
      h.clock.advance(1);
      expect(await h.store.acquireLock('l', 'b', MINUTE)).toBe(true);
    });

    it('release frees the lock for its owner only; releasing is idempotent', async () => {
      await h.store.acquireLock('l', 'a', MINUTE);
      await h.store.releaseLock('l', 'b');
      expect(await h.store.acquireLock('l', 'b', MINUTE)).toBe(false);
      await h.store.releaseLock('l', 'a');
      await h.store.releaseLock('l', 'a');
      await h.store.releaseLock('never-taken', 'a');
      expect(await h.store.acquireLock('l', 'b', MINUTE)).toBe(true);
    });

    it('a release by a former owner after expiry does not free the new owner’s lock', async () => {
      await h.store.acquireLock('l', 'a', MINUTE);
      h.clock.advance(MINUTE);
      await h.store.acquireLock('l', 'b', MINUTE);
      await h.store.releaseLock('l', 'a');
      expect(await h.store.acquireLock('l', 'c', MINUTE)).toBe(false);
    });

    it('of 50 concurrent acquires of a free lock by different owners exactly one wins', async () => {
      const results = await concurrently(50, (i) => h.store.acquireLock('l', `owner-${i}`, MINUTE));
      expect(tally(results, String)).toStrictEqual({ true: 1, false: 49 });
      const winner = `owner-${results.indexOf(true)}`;
      expect(await h.store.acquireLock('l', winner, MINUTE)).toBe(true);
    });

    it('of 50 concurrent acquires of an expired lock by different owners exactly one wins', async () => {
      await h.store.acquireLock('l', 'stale', MINUTE);
      h.clock.advance(MINUTE);
      const results = await concurrently(50, (i) => h.store.acquireLock('l', `owner-${i}`, MINUTE));
      expect(tally(results, String)).toStrictEqual({ true: 1, false: 49 });
    });

    it.each([0, -1, Number.NaN])('rejects a ttl of %s ms', async (ttlMs) => {
      const error = await h.store.acquireLock('l', 'a', ttlMs).catch((e: unknown) => e);
      expect(isCimdError(error, 'ERR_INVALID_OPTION')).toBe(true);
      expect(await h.store.acquireLock('l', 'b', MINUTE)).toBe(true);
    });
  });
}
