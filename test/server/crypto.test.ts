/** Random tokens cut from the pooled block: every token fresh, of the asked size, base64url. */
import { base64url } from 'jose';
import { describe, expect, it } from 'vitest';
import { encodeBase64url, randomToken, sha256Base64url } from '../../src/server/crypto.js';

describe('randomToken', () => {
  it('10,000 tokens across many pool refills are all distinct and of the asked length', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const bytes = [16, 24, 32][i % 3] as number;
      const token = randomToken(bytes);
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(token.length).toBe(Math.ceil((bytes * 4) / 3));
      seen.add(token);
    }
    expect(seen.size).toBe(10_000);
  });

  it('large tokens (beyond the pool) and the default size', () => {
    expect(randomToken(1024)).toHaveLength(Math.ceil((1024 * 4) / 3));
    expect(randomToken()).toHaveLength(43);
    expect(randomToken(1024)).not.toBe(randomToken(1024));
  });

  it('a token is not all zero bytes (the pool is filled before use)', () => {
    for (let i = 0; i < 1_000; i++) expect(randomToken(32)).not.toBe('A'.repeat(43));
  });
});

describe('encodeBase64url', () => {
  it("gives jose's encoding for every length 0 to 64, and for views into a larger buffer", () => {
    const block = new Uint8Array(256).map((_, i) => (i * 151 + 7) % 256);
    for (let length = 0; length <= 64; length++) {
      for (const offset of [0, 1, 5, 100]) {
        const view = block.subarray(offset, offset + length);
        expect(encodeBase64url(view)).toBe(base64url.encode(view));
      }
    }
    expect(encodeBase64url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
  });
});

describe('sha256Base64url', () => {
  it('sha256Base64url: the FIPS 180-2 "abc" vector, and the RFC 7636 appendix B challenge', async () => {
    expect(await sha256Base64url('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    expect(await sha256Base64url('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });
});
