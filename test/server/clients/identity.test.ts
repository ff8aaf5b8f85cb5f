/** The identity fields a consent keeps, and what changed since (for the renewed consent page). */
import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { clientIdentityOf, identityChanges } from '../../../src/server/clients/identity.js';
import { changesNotice } from '../../../src/server/ui/consent-changes.js';

async function jwk(kid: string): Promise<{ kty: string; kid: string }> {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  const { kty = 'EC', ...members } = await exportJWK(publicKey);
  return { ...members, kty, kid };
}

describe('clientIdentityOf', () => {
  it('keeps the declared name, home page and logo, sorted unique redirect URIs, key thumbprints', async () => {
    const [a, b] = await Promise.all([jwk('a'), jwk('b')]);
    const identity = await clientIdentityOf({
      client_name: ' App ',
      client_uri: 'https://app.example/',
      logo_uri: 'https://app.example/l.png',
      redirect_uris: ['https://b.example/cb', 'https://a.example/cb', 'https://b.example/cb'],
      jwks: { keys: [b, a] },
    });
    expect(identity).toMatchObject({
      clientName: ' App ',
      clientUri: 'https://app.example/',
      logoUri: 'https://app.example/l.png',
      redirectUris: ['https://a.example/cb', 'https://b.example/cb'],
    });
    expect(identity.keyThumbprints).toHaveLength(2);
    expect([...identity.keyThumbprints].sort()).toStrictEqual(identity.keyThumbprints);
    // Key order in the document does not matter.
    expect(await clientIdentityOf({ redirect_uris: [], jwks: { keys: [a, b] } })).toMatchObject({
      keyThumbprints: identity.keyThumbprints,
    });
  });
});

describe('identityChanges', () => {
  const base = { clientName: 'A', redirectUris: ['https://a.example/cb'], keyThumbprints: ['t1'] };

  it('nothing for equal identities; unknown without a recorded one', () => {
    expect(identityChanges(base, { ...base })).toStrictEqual([]);
    expect(identityChanges(undefined, base)).toStrictEqual([{ field: 'unknown' }]);
  });

  it('names each changed field, in a fixed order', () => {
    const now = {
      clientUri: 'https://app.example/',
      redirectUris: ['https://b.example/cb'],
      keyThumbprints: ['t1', 't2'],
      jwksUri: 'https://app.example/jwks.json',
    };
    expect(identityChanges(base, now)).toStrictEqual([
      { field: 'client_name', from: 'A' },
      { field: 'client_uri', to: 'https://app.example/' },
      { field: 'redirect_uris', added: ['https://b.example/cb'], removed: ['https://a.example/cb'] },
      { field: 'keys', added: 1, removed: 0, jwksUriChanged: true },
    ]);
  });
});

describe('changesNotice', () => {
  it('nothing without changes; a generic line when only other members changed; every value escaped', async () => {
    expect(changesNotice(undefined)).toBe('');
    expect(String(await changesNotice([]))).toContain('<li>Its registration changed.</li>');
    const html = String(
      await changesNotice([
        { field: 'client_name', from: 'A', to: '<b>"B"</b>' },
        { field: 'client_uri', from: 'https://x.example/?a=<i>' },
        { field: 'redirect_uris', added: ['https://e.example/<s>'], removed: [] },
        { field: 'keys', added: 0, removed: 2, jwksUriChanged: false },
      ]),
    );
    expect(html).toContain('Its name changed from “A” to “&lt;b&gt;&quot;B&quot;&lt;/b&gt;”.');
    expect(html).toContain(
      'It no longer gives a home page; it was <code>https://x.example/?a=&lt;i&gt;</code>.',
    );
    expect(html).toContain('It may now also send you to <code>https://e.example/&lt;s&gt;</code>.');
    expect(html).toContain('Its keys changed (2 removed).');
    expect(html).not.toMatch(/<(b|i|s)>/);
  });
});
