import { describe, expect, it } from 'vitest';
import { lintJwks } from '../../src/index.js';

const EC_P256 = { kty: 'EC', crv: 'P-256', x: 'xxxx', y: 'yyyy', kid: 'ec256' };
const EC_P384 = { kty: 'EC', crv: 'P-384', x: 'xxxx', y: 'yyyy', kid: 'ec384' };
const EC_P521 = { kty: 'EC', crv: 'P-521', x: 'xxxx', y: 'yyyy', kid: 'ec521' };
const RSA = { kty: 'RSA', n: 'nnnn', e: 'AQAB', kid: 'rsa' };
const ED25519 = { kty: 'OKP', crv: 'Ed25519', x: 'xxxx', kid: 'ed' };

const idsOf = (jwks: unknown, options?: Parameters<typeof lintJwks>[1]): string[] =>
  lintJwks(jwks, options).map((f) => f.id);

describe('lintJwks', () => {
  it('accepts a set of public signing keys with no finding', () => {
    expect(lintJwks({ keys: [EC_P256, RSA, ED25519] })).toEqual([]);
    expect(
      lintJwks(
        { keys: [{ ...EC_P256, use: 'sig', alg: 'ES256', key_ops: ['verify'] }] },
        { signingAlg: 'ES256' },
      ),
    ).toEqual([]);
  });

  it('reports at $.jwks by default and at the given path otherwise', () => {
    expect(lintJwks({ keys: [{ ...EC_P256, d: 'x' }] })[0]?.path).toBe('$.jwks.keys[0]');
    expect(lintJwks({ keys: [{ ...EC_P256, d: 'x' }] }, { path: '$' })[0]?.path).toBe('$.keys[0]');
  });

  it.each([
    ['null', null],
    ['an array', [EC_P256]],
    ['a string', 'keys'],
  ])('CIMD-KEY-01 refuses a set that is %s', (_label, jwks) => {
    expect(lintJwks(jwks).map((f) => [f.id, f.path])).toEqual([['CIMD-KEY-01', '$.jwks']]);
  });

  it('CIMD-KEY-01 refuses keys that are not an array, and entries that are not objects', () => {
    expect(lintJwks({}).map((f) => [f.id, f.path])).toEqual([['CIMD-KEY-01', '$.jwks.keys']]);
    expect(lintJwks({ keys: [EC_P256, 'x'] }).map((f) => [f.id, f.path])).toEqual([
      ['CIMD-KEY-01', '$.jwks.keys[1]'],
    ]);
  });

  it('CIMD-KEY-02 refuses an empty set', () => {
    expect(idsOf({ keys: [] })).toEqual(['CIMD-KEY-02']);
  });

  it.each(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'])(
    'CIMD-KEY-03 refuses the private member %s as a leaked private key',
    (member) => {
      const findings = lintJwks({ keys: [{ ...RSA, [member]: 'secret' }] });
      const leaked = findings.filter((f) => f.id === 'CIMD-KEY-03');
      expect(leaked).toHaveLength(1);
      expect(leaked[0]?.severity).toBe('error');
      expect(leaked[0]?.message).toMatch(/leaked private key/i);
      expect(leaked[0]?.message).toContain(member);
      expect(leaked[0]?.message).toMatch(/remove/i);
      expect(leaked[0]?.message).toMatch(/rotate/i);
    },
  );

  it('CIMD-KEY-03 lists every private member of a full private RSA key once', () => {
    const findings = lintJwks({ keys: [{ ...RSA, d: 'd', p: 'p', q: 'q', dp: 'dp', dq: 'dq', qi: 'qi' }] });
    expect(findings.map((f) => f.id)).toEqual(['CIMD-KEY-03']);
    expect(findings[0]?.message).toContain('d, p, q, dp, dq, qi');
  });

  it('CIMD-KEY-04 requires kty', () => {
    expect(idsOf({ keys: [{ kid: 'a', x: 'x' }] })).toEqual(['CIMD-KEY-04']);
    expect(idsOf({ keys: [{ kid: 'a', kty: 7 }] })).toEqual(['CIMD-KEY-04']);
  });

  it('CIMD-KEY-05 refuses symmetric keys (and their k as a leak)', () => {
    expect(idsOf({ keys: [{ kty: 'oct', kid: 'a' }] })).toEqual(['CIMD-KEY-05']);
    expect(idsOf({ keys: [{ kty: 'oct', kid: 'a', k: 'c2VjcmV0' }] }).sort()).toEqual([
      'CIMD-KEY-03',
      'CIMD-KEY-05',
    ]);
  });

  it('CIMD-KEY-06 requires a kid, unique in the set', () => {
    const { kid: _kid, ...noKid } = EC_P256;
    expect(idsOf({ keys: [noKid] })).toEqual(['CIMD-KEY-06']);
    expect(idsOf({ keys: [{ ...EC_P256, kid: '' }] })).toEqual(['CIMD-KEY-06']);
    expect(
      lintJwks({ keys: [EC_P256, RSA, { ...ED25519, kid: 'ec256' }] }).map((f) => [f.id, f.path]),
    ).toEqual([['CIMD-KEY-06', '$.jwks.keys[2].kid']]);
  });

  it.each(['none', 'None', 'HS256', 'HS384', 'HS512', 'RSA-OAEP', 'ES256K', 'foo'])(
    'CIMD-KEY-07 refuses the signing alg %j',
    (alg) => {
      const findings = lintJwks({ keys: [EC_P256] }, { signingAlg: alg });
      expect(findings.map((f) => f.id)).toEqual(['CIMD-KEY-07']);
      expect(findings[0]?.message).toContain('ES256');
    },
  );

  it('CIMD-KEY-07 refuses a key whose own alg is not an accepted signing alg', () => {
    expect(lintJwks({ keys: [{ ...EC_P256, alg: 'HS256' }] }).map((f) => [f.id, f.path])).toEqual([
      ['CIMD-KEY-07', '$.jwks.keys[0].alg'],
    ]);
  });

  it.each([
    ['RS256', RSA, true],
    ['RS384', RSA, true],
    ['RS512', RSA, true],
    ['PS256', RSA, true],
    ['PS384', RSA, true],
    ['PS512', RSA, true],
    ['ES256', EC_P256, true],
    ['ES384', EC_P384, true],
    ['ES512', EC_P521, true],
    ['EdDSA', ED25519, true],
    ['Ed25519', ED25519, true],
    ['RS256', EC_P256, false],
    ['PS256', ED25519, false],
    ['ES256', RSA, false],
    ['ES256', EC_P384, false],
    ['ES384', EC_P256, false],
    ['ES512', EC_P384, false],
    ['EdDSA', EC_P256, false],
    ['EdDSA', { kty: 'OKP', crv: 'X25519', x: 'x', kid: 'x' }, false],
    ['ES256', { kty: 'EC', x: 'x', y: 'y', kid: 'nocrv' }, false],
  ])('CIMD-KEY-08 with %s and %j: usable=%s', (alg, key, usable) => {
    expect(idsOf({ keys: [key] }, { signingAlg: alg })).toEqual(usable ? [] : ['CIMD-KEY-08']);
  });

  it('CIMD-KEY-08 explains what the algorithm needs', () => {
    expect(lintJwks({ keys: [RSA] }, { signingAlg: 'ES256' })[0]?.message).toContain('kty EC with crv P-256');
  });

  it('CIMD-KEY-09 requires a key alg to equal the signing alg', () => {
    expect(
      lintJwks({ keys: [{ ...RSA, alg: 'RS512' }] }, { signingAlg: 'RS256' }).map((f) => [f.id, f.path]),
    ).toEqual([['CIMD-KEY-09', '$.jwks.keys[0].alg']]);
    expect(idsOf({ keys: [{ ...RSA, alg: 'RS256' }] }, { signingAlg: 'RS256' })).toEqual([]);
    expect(idsOf({ keys: [{ ...RSA, alg: 'RS512' }] })).toEqual([]);
  });

  it('CIMD-KEY-10 requires use "sig" and key_ops with verify when present', () => {
    expect(lintJwks({ keys: [{ ...EC_P256, use: 'enc' }] }).map((f) => [f.id, f.path])).toEqual([
      ['CIMD-KEY-10', '$.jwks.keys[0].use'],
    ]);
    expect(idsOf({ keys: [{ ...EC_P256, key_ops: ['encrypt'] }] })).toEqual(['CIMD-KEY-10']);
    expect(idsOf({ keys: [{ ...EC_P256, key_ops: 'verify' }] })).toEqual(['CIMD-KEY-10']);
    expect(idsOf({ keys: [{ ...EC_P256, use: 'sig', key_ops: ['verify'] }] })).toEqual([]);
  });
});
