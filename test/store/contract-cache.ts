/** Contract: the shared cache. */
import { describe, expect, it } from 'vitest';
import { isCimdError } from '../../src/errors.js';
import type { StoreHarness } from './contract.js';
import { MINUTE } from './fixtures.js';

/** The cache tests. */
export function describeCacheContract(h: StoreHarness): void {
  describe('cache', () => {
    it('a value is read back until it expires, then absent', async () => {
      const document = JSON.stringify({ client_id: 'https://app.example.com/client.json', ünï: '"x"' });
      await h.store.cacheSet('cimd:https://app.example.com/client.json', document, MINUTE);
      expect(await h.store.cacheGet('cimd:https://app.example.com/client.json')).toBe(document);
      h.clock.advance(MINUTE - 1);
      expect(await h.store.cacheGet('cimd:https://app.example.com/client.json')).toBe(document);
      h.clock.advance(1);
      expect(await h.store.cacheGet('cimd:https://app.example.com/client.json')).toBeUndefined();
    });

    it('a missing key is absent, and an empty string is a value', async () => {
      expect(await h.store.cacheGet('missing')).toBeUndefined();
      await h.store.cacheSet('empty', '', MINUTE);
      expect(await h.store.cacheGet('empty')).toBe('');
    });

    it('setting again replaces the value and its expiry', async () => {
      await h.store.cacheSet('k', 'v1', MINUTE);
      h.clock.advance(MINUTE / 2);
      await h.store.cacheSet('k', 'v2', MINUTE);
      h.clock.advance(MINUTE / 2);
      expect(await h.store.cacheGet('k')).toBe('v2');
      h.clock.advance(MINUTE / 2);
      expect(await h.store.cacheGet('k')).toBeUndefined();
    });

    it('an expired key can be set again', async () => {
      await h.store.cacheSet('k', 'v1', MINUTE);
      h.clock.advance(MINUTE);
      await h.store.cacheSet('k', 'v2', MINUTE);
      expect(await h.store.cacheGet('k')).toBe('v2');
    });

    it('cacheDelete removes one key, and is idempotent', async () => {
      await h.store.cacheSet('a', '1', MINUTE);
      await h.store.cacheSet('b', '2', MINUTE);
      await h.store.cacheDelete('a');
      await h.store.cacheDelete('a');
      await h.store.cacheDelete('never-set');
      expect(await h.store.cacheGet('a')).toBeUndefined();
      expect(await h.store.cacheGet('b')).toBe('2');
    });

    it.each([0, -1, Number.NaN])('rejects a ttl of %s ms', async (ttlMs) => {
      const error = await h.store.cacheSet('k', 'v', ttlMs).catch((e: unknown) => e);
      expect(isCimdError(error, 'ERR_INVALID_OPTION')).toBe(true);
      expect(await h.store.cacheGet('k')).toBeUndefined();
    });
  });
}
