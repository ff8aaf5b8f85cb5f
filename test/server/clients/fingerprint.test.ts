/** CIMD §6.3 change detection: the fingerprint of the security-relevant members. */
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  FINGERPRINTED_MEMBERS,
  fingerprintClientMetadata,
  fingerprintInput,
  hasClientChanged,
  IDENTITY_MEMBERS,
} from '../../../src/server/clients/fingerprint.js';

const base = {
  client_id: 'https://app.example.com/c.json',
  client_name: 'App',
  redirect_uris: ['https://app.example.com/cb', 'http://127.0.0.1/cb'],
  token_endpoint_auth_method: 'private_key_jwt',
  token_endpoint_auth_signing_alg: 'ES256',
  jwks: {
    keys: [
      { kty: 'EC', crv: 'P-256', kid: 'b', x: 'x2', y: 'y2' },
      { kty: 'EC', crv: 'P-256', kid: 'a', x: 'x1', y: 'y1' },
    ],
  },
  scope: 'read write',
};

function reordered<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).reverse()) as T;
}

describe('fingerprintClientMetadata', () => {
  it('is base64url SHA-256 (43 characters, no padding) of the canonical subset', async () => {
    const fingerprint = await fingerprintClientMetadata(base);
    expect(fingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const digest = new Uint8Array(
      await crypto.subtle.digest('SHA-256', new TextEncoder().encode(fingerprintInput(base))),
    );
    expect(fingerprint).toBe(Buffer.from(digest).toString('base64url'));
  });

  it('is stable under member reordering, at every depth, and under key reordering', async () => {
    const shuffled = {
      ...reordered(base),
      jwks: { keys: [...base.jwks.keys].reverse().map((key) => reordered(key)) },
    };
    expect(await fingerprintClientMetadata(shuffled)).toBe(await fingerprintClientMetadata(base));
  });

  it('is stable under redirect URI order, duplicate scopes and scope order', async () => {
    const same = { ...base, redirect_uris: [...base.redirect_uris].reverse(), scope: 'write  read read' };
    expect(await fingerprintClientMetadata(same)).toBe(await fingerprintClientMetadata(base));
  });

  it('ignores members that are neither identity fields nor security-relevant', async () => {
    const cosmetic = {
      ...base,
      contacts: ['ops@app.example.com'],
      tos_uri: 'https://app.example.com/tos',
      software_version: '2.0.0',
      x_extra: 1,
    };
    expect(await fingerprintClientMetadata(cosmetic)).toBe(await fingerprintClientMetadata(base));
  });

  it('is stable under the whitespace and member order of the JSON text', async () => {
    const text = JSON.stringify(base);
    const spaced = JSON.stringify(reordered(base), null, 4);
    expect(await fingerprintClientMetadata(JSON.parse(spaced))).toBe(
      await fingerprintClientMetadata(JSON.parse(text)),
    );
  });

  it('lists the identity fields and covers each of them', () => {
    expect(IDENTITY_MEMBERS).toStrictEqual([
      'client_name',
      'client_uri',
      'logo_uri',
      'redirect_uris',
      'jwks',
      'jwks_uri',
    ]);
    for (const member of IDENTITY_MEMBERS) expect(FINGERPRINTED_MEMBERS).toContain(member);
  });

  it.each([
    ['client_name changes', { client_name: 'Renamed' }],
    ['client_name gains a trailing space', { client_name: 'App ' }],
    ['client_name becomes empty', { client_name: '' }],
    ['client_uri is added', { client_uri: 'https://app.example.com/' }],
    ['logo_uri is added', { logo_uri: 'https://app.example.com/l.png' }],
    ['redirect_uris change', { redirect_uris: ['https://app.example.com/other'] }],
    ['a redirect URI is added', { redirect_uris: [...base.redirect_uris, 'https://app.example.com/more'] }],
    ['the auth method changes', { token_endpoint_auth_method: 'none' }],
    ['the signing alg changes', { token_endpoint_auth_signing_alg: 'RS256' }],
    ['a key changes', { jwks: { keys: base.jwks.keys.slice(0, 1) } }],
    ['jwks becomes jwks_uri', { jwks: undefined, jwks_uri: 'https://app.example.com/jwks.json' }],
    ['the scope changes', { scope: 'read' }],
  ])('changes when %s', async (_name, change) => {
    expect(await fingerprintClientMetadata({ ...base, ...change })).not.toBe(
      await fingerprintClientMetadata(base),
    );
  });
});

describe('hasClientChanged', () => {
  it('compares with the recorded fingerprint; an absent one counts as changed', async () => {
    const fingerprint = await fingerprintClientMetadata(base);
    expect(hasClientChanged(fingerprint, { fingerprint })).toBe(false);
    const changed = await fingerprintClientMetadata({ ...base, redirect_uris: ['https://evil.example/cb'] });
    expect(hasClientChanged(fingerprint, { fingerprint: changed })).toBe(true);
    expect(hasClientChanged(undefined, { fingerprint })).toBe(true);
  });
});

describe('canonicalJson', () => {
  it('sorts members, keeps array order and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: [3, { d: 1, c: undefined }], e: null })).toBe(
      '{"a":[3,{"d":1}],"b":1,"e":null}',
    );
  });
});
