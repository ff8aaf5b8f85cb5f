/** Contract: closing, and (for persistent backends) data surviving a reopen. */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import type { StoreHarness } from './contract.js';
import {
  clientRecord,
  codeRecord,
  consentRecord,
  documentSighting,
  familyRecord,
  MINUTE,
} from './fixtures.js';

/** One call of every method, for the closed-store test. */
const EVERY_METHOD: ReadonlyArray<[string, (store: Store) => Promise<unknown>]> = [
  ['recordJti', (s) => s.recordJti('c', 'j', MINUTE)],
  ['saveCode', (s) => s.saveCode('h', codeRecord(), MINUTE)],
  ['consumeCode', (s) => s.consumeCode('h')],
  ['createRefreshFamily', (s) => s.createRefreshFamily(familyRecord(), 'rt')],
  ['rotateRefreshToken', (s) => s.rotateRefreshToken('rt', 'rt2')],
  ['findRefreshFamily', (s) => s.findRefreshFamily('rt')],
  ['revokeRefreshFamily', (s) => s.revokeRefreshFamily('f')],
  ['revokeGrant', (s) => s.revokeGrant('g')],
  ['saveClient', (s) => s.saveClient(clientRecord())],
  ['getClient', (s) => s.getClient('c')],
  ['saveConsent', (s) => s.saveConsent(consentRecord())],
  ['getConsent', (s) => s.getConsent('u', 'c')],
  ['revokeConsent', (s) => s.revokeConsent('u', 'c')],
  ['cacheGet', (s) => s.cacheGet('k')],
  ['cacheSet', (s) => s.cacheSet('k', 'v', MINUTE)],
  ['cacheDelete', (s) => s.cacheDelete('k')],
  ['listRefreshFamilies', (s) => s.listRefreshFamilies({})],
  ['listConsents', (s) => s.listConsents({})],
  ['recordClientDocument', (s) => s.recordClientDocument(documentSighting())],
  ['getClientDocuments', (s) => s.getClientDocuments('c')],
  ['listClientDocuments', (s) => s.listClientDocuments()],
  ['getState', (s) => s.getState('n')],
  ['putState', (s) => s.putState('n', 'v')],
  ['acquireLock', (s) => s.acquireLock('n', 'o', MINUTE)],
  ['releaseLock', (s) => s.releaseLock('n', 'o')],
];

/** The lifecycle tests; the persistence ones only when `persistent`. */
export function describeLifecycleContract(h: StoreHarness, persistent: boolean): void {
  describe('close', () => {
    it.each(EVERY_METHOD)('%s on a closed store rejects with a clear error', async (_name, call) => {
      await h.store.close();
      await expect(call(h.store)).rejects.toMatchObject({
        code: 'ERR_STORE_CLOSED',
        message: expect.stringMatching(/store is closed/),
      });
    });

    it('close is idempotent', async () => {
      await h.store.close();
      await expect(h.store.close()).resolves.toBeUndefined();
    });
  });

  if (!persistent) return;
  describe('persistence', () => {
    it('every kind of record survives close and reopen', async () => {
      await h.store.recordJti('client-a', 'jti-1', MINUTE);
      await h.store.saveCode('code-used', codeRecord(), MINUTE);
      await h.store.consumeCode('code-used');
      await h.store.saveCode('code-fresh', codeRecord({ grantId: 'g-fresh' }), MINUTE);
      await h.store.createRefreshFamily(familyRecord(), 'rt-0');
      await h.store.rotateRefreshToken('rt-0', 'rt-1');
      await h.store.createRefreshFamily(
        familyRecord({ familyId: 'f-revoked', grantId: 'g-revoked' }),
        'rt-r',
      );
      await h.store.revokeGrant('g-revoked');
      await h.store.saveClient(clientRecord());
      await h.store.saveConsent(consentRecord());
      await h.store.cacheSet('k', 'v', MINUTE);
      await h.store.recordClientDocument(documentSighting());
      await h.store.putState('signing-keys', 'sealed-1');
      await h.store.acquireLock('rotate-keys', 'instance-a', MINUTE);

      const store = await h.reopen();
      expect(await store.recordJti('client-a', 'jti-1', MINUTE)).toBe(false);
      expect((await store.consumeCode('code-used')).status).toBe('reused');
      expect(await store.consumeCode('code-fresh')).toStrictEqual({
        status: 'consumed',
        record: codeRecord({ grantId: 'g-fresh' }),
      });
      expect((await store.rotateRefreshToken('rt-1', 'rt-2')).status).toBe('rotated');
      expect((await store.rotateRefreshToken('rt-r', 'rt-r2')).status).toBe('revoked');
      expect(await store.findRefreshFamily('rt-0')).toStrictEqual(familyRecord());
      expect(await store.getClient('dcr-7f3a')).toStrictEqual(clientRecord());
      expect(await store.getConsent('user-1', 'https://app.example.com/client.json')).toStrictEqual(
        consentRecord(),
      );
      expect(await store.cacheGet('k')).toBe('v');
      expect(await store.recordClientDocument(documentSighting({ seenAt: h.clock.now() + 1 }))).toBe(false);
      const { seenAt, ...document } = documentSighting();
      expect(await store.getClientDocuments(document.clientId)).toStrictEqual([
        { ...document, firstSeen: seenAt, lastSeen: seenAt + 1 },
      ]);
      expect(await store.listClientDocuments()).toHaveLength(1);
      expect(await store.listRefreshFamilies({ clientId: familyRecord().clientId })).toStrictEqual([
        familyRecord(),
      ]);
      expect(await store.listConsents({ userId: 'user-1' })).toStrictEqual([consentRecord()]);
      expect(await store.getState('signing-keys')).toBe('sealed-1');
      expect(await store.putState('signing-keys', 'sealed-2', 'sealed-1')).toBe(true);
      expect(await store.acquireLock('rotate-keys', 'instance-b', MINUTE)).toBe(false);
      expect(await store.acquireLock('rotate-keys', 'instance-a', MINUTE)).toBe(true);

      const again = await h.reopen();
      expect(await again.getState('signing-keys')).toBe('sealed-2');
      expect((await again.rotateRefreshToken('rt-0', 'rt-z')).status).toBe('reused');
      await again.createRefreshFamily(familyRecord({ familyId: 'f-late', grantId: 'g-revoked' }), 'rt-l');
      expect((await again.rotateRefreshToken('rt-l', 'rt-l2')).status).toBe('revoked');
    });
  });
}
