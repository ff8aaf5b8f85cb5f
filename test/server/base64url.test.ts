/** The server's base64url encoding gives jose's bytes for bytes, through Buffer where there is one. */
import { base64url } from 'jose';
import { describe, expect, it } from 'vitest';
import { decodeBase64url, encodeBase64url } from '../../src/server/base64url.js';

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

  it('encodes a string as its UTF-8 bytes, as jose does', () => {
    for (const text of ['', 'a', '{"alg":"ES256","typ":"at+jwt"}', 'é ✓ 𝄞']) {
      expect(encodeBase64url(text)).toBe(base64url.encode(text));
    }
  });
});

describe('decodeBase64url', () => {
  it("gives back what was encoded, as jose's decoder does", () => {
    const block = new Uint8Array(64).map((_, i) => (i * 37 + 3) % 256);
    for (let length = 0; length <= 64; length++) {
      const encoded = encodeBase64url(block.subarray(0, length));
      expect([...decodeBase64url(encoded)]).toEqual([...block.subarray(0, length)]);
      expect([...decodeBase64url(encoded)]).toEqual([...base64url.decode(encoded)]);
    }
  });
});
