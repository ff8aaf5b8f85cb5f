/** SHA-256 of stored secrets (codes, refresh tokens): the same bytes on node:crypto and on Web Crypto. */
import { describe, expect, it } from 'vitest';
import { sha256Base64url } from '../../src/server/crypto.js';

describe('sha256Base64url', () => {
  it('sha256Base64url: the FIPS 180-2 "abc" vector, and the RFC 7636 appendix B challenge', async () => {
    expect(await sha256Base64url('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    expect(await sha256Base64url('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });
});
