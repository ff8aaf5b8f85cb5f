import { describe, expect, it } from 'vitest';
import { lintJwks } from '../../src/index.js';
import {
  CLIENT_KEY_ALGORITHMS,
  createKeySet,
  generateClientKey,
  type KeySet,
  PRIVATE_JWK_MEMBERS,
  publicJwks,
  stageKey,
  toPublicJwk,
} from '../../src/keys/index.js';

/** The same key set with extra secret and unknown members in every private JWK. */
function withNoise(set: KeySet): KeySet {
  const noise = {
    k: 'c2VjcmV0',
    oth: [{ r: 'r' }],
    p: 'p',
    q: 'q',
    dp: 'dp',
    dq: 'dq',
    qi: 'qi',
    note: 'internal',
  };
  return { ...set, keys: set.keys.map((key) => ({ ...key, privateJwk: { ...key.privateJwk, ...noise } })) };
}

describe('publicJwks', () => {
  for (const alg of CLIENT_KEY_ALGORITHMS) {
    it(`CIMD-KEY-03 ${alg}: never leaks a private member, whatever the private JWK carries`, async () => {
      const set = stageKey(createKeySet(await generateClientKey(alg)), await generateClientKey(alg));
      for (const jwks of [publicJwks(set), publicJwks(withNoise(set))]) {
        expect(jwks.keys).toHaveLength(2);
        for (const published of jwks.keys) {
          for (const member of PRIVATE_JWK_MEMBERS) expect(published).not.toHaveProperty(member);
          expect(published).not.toHaveProperty('note');
        }
        const text = JSON.stringify(jwks);
        for (const key of set.keys) expect(text).not.toContain(String(key.privateJwk.d));
        expect(lintJwks(jwks, { signingAlg: alg })).toEqual([]);
      }
    });
  }

  it('toPublicJwk refuses a symmetric key', () => {
    expect(() => toPublicJwk({ kty: 'oct', k: 'c2VjcmV0' })).toThrow(/no public half/);
  });
});
