/** Contract: registered clients and remembered consent (CIMD-AS-19). */
import { describe, expect, it } from 'vitest';
import type { StoreHarness } from './contract.js';
import { clientRecord, consentRecord, HOUR } from './fixtures.js';

/** The client and consent tests. */
export function describeClientAndConsentContract(h: StoreHarness): void {
  describe('registered clients', () => {
    it('a saved client is read back with its nested metadata', async () => {
      await h.store.saveClient(clientRecord());
      expect(await h.store.getClient('dcr-7f3a')).toStrictEqual(clientRecord());
      expect(await h.store.getClient('dcr-unknown')).toBeUndefined();
    });

    it('saving a client again replaces it', async () => {
      await h.store.saveClient(clientRecord());
      const replaced = clientRecord({ metadata: { client_name: 'Renamed' }, createdAt: h.clock.now() + 1 });
      await h.store.saveClient(replaced);
      expect(await h.store.getClient('dcr-7f3a')).toStrictEqual(replaced);
    });

    it('clients are kept apart by id, and the store keeps its own copy', async () => {
      const client = clientRecord();
      await h.store.saveClient(client);
      await h.store.saveClient(clientRecord({ clientId: 'dcr-other', metadata: {} }));
      client.metadata.client_name = 'changed';
      const read = await h.store.getClient('dcr-7f3a');
      if (read !== undefined) read.metadata.client_name = 'changed too';
      expect(await h.store.getClient('dcr-7f3a')).toStrictEqual(clientRecord());
      expect((await h.store.getClient('dcr-other'))?.metadata).toStrictEqual({});
    });
  });

  describe('consent (CIMD-AS-19)', () => {
    it('CIMD-AS-19: a saved consent is read back with its fingerprint', async () => {
      await h.store.saveConsent(consentRecord());
      expect(await h.store.getConsent('user-1', 'https://app.example.com/client.json')).toStrictEqual(
        consentRecord(),
      );
    });

    it('CIMD-AS-19: saving again replaces the one consent of that user and client', async () => {
      await h.store.saveConsent(consentRecord());
      const changed = consentRecord({
        scopes: ['tools:read'],
        clientFingerprint: 'sha256:fingerprint-2',
        grantedAt: h.clock.now() + 5,
      });
      await h.store.saveConsent(changed);
      expect(await h.store.getConsent('user-1', 'https://app.example.com/client.json')).toStrictEqual(
        changed,
      );
    });

    it('CIMD-AS-19: the identity fields approved are read back with the consent (and its listing)', async () => {
      const withIdentity = consentRecord({
        clientIdentity: {
          clientName: 'App <b>“One”</b>',
          clientUri: 'https://app.example.com/',
          logoUri: 'https://app.example.com/logo.png',
          redirectUris: ['http://127.0.0.1/cb', 'https://app.example.com/cb'],
          keyThumbprints: ['thumb-a', 'thumb-b'],
          jwksUri: 'https://app.example.com/jwks.json',
        },
      });
      await h.store.saveConsent(withIdentity);
      expect(await h.store.getConsent('user-1', 'https://app.example.com/client.json')).toStrictEqual(
        withIdentity,
      );
      expect(await h.store.listConsents({ userId: 'user-1' })).toStrictEqual([withIdentity]);
    });

    it('CIMD-AS-19: a consent for another document saved without identity fields reads back without them', async () => {
      await h.store.saveConsent(
        consentRecord({ clientIdentity: { clientName: 'Old', redirectUris: [], keyThumbprints: [] } }),
      );
      const newer = consentRecord({ clientFingerprint: 'sha256:fingerprint-2' });
      await h.store.saveConsent(newer);
      expect(await h.store.getConsent('user-1', 'https://app.example.com/client.json')).toStrictEqual(newer);
    });

    it('CIMD-AS-19: consents are per user and per client', async () => {
      await h.store.saveConsent(consentRecord());
      await h.store.saveConsent(consentRecord({ userId: 'user-2', clientFingerprint: 'sha256:other' }));
      expect(await h.store.getConsent('user-3', 'https://app.example.com/client.json')).toBeUndefined();
      expect(await h.store.getConsent('user-1', 'https://other.example.com/client.json')).toBeUndefined();
      expect(
        (await h.store.getConsent('user-2', 'https://app.example.com/client.json'))?.clientFingerprint,
      ).toBe('sha256:other');
      expect(
        (await h.store.getConsent('user-1', 'https://app.example.com/client.json'))?.clientFingerprint,
      ).toBe('sha256:fingerprint-1');
    });

    it('CIMD-AS-19: an expired consent is absent', async () => {
      await h.store.saveConsent(consentRecord({ expiresAt: h.clock.now() + HOUR }));
      h.clock.advance(HOUR - 1);
      expect(await h.store.getConsent('user-1', 'https://app.example.com/client.json')).toBeDefined();
      h.clock.advance(1);
      expect(await h.store.getConsent('user-1', 'https://app.example.com/client.json')).toBeUndefined();
    });

    it('CIMD-AS-19: a consent saved after one expired is live again', async () => {
      await h.store.saveConsent(consentRecord({ expiresAt: h.clock.now() + HOUR }));
      h.clock.advance(2 * HOUR);
      const renewed = consentRecord({ grantedAt: h.clock.now(), expiresAt: h.clock.now() + HOUR });
      await h.store.saveConsent(renewed);
      expect(await h.store.getConsent('user-1', 'https://app.example.com/client.json')).toStrictEqual(
        renewed,
      );
    });

    it('revokeConsent forgets one consent, and is idempotent', async () => {
      await h.store.saveConsent(consentRecord());
      await h.store.saveConsent(consentRecord({ userId: 'user-2' }));
      await h.store.revokeConsent('user-1', 'https://app.example.com/client.json');
      await h.store.revokeConsent('user-1', 'https://app.example.com/client.json');
      expect(await h.store.getConsent('user-1', 'https://app.example.com/client.json')).toBeUndefined();
      expect(await h.store.getConsent('user-2', 'https://app.example.com/client.json')).toBeDefined();
    });
  });
}
