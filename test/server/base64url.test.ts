/** The server's base64url encoding gives jose's bytes for bytes, through Buffer where there is one. */
import { base64url } from 'jose';
import { describe, expect, it } from 'vitest';
import { encodeBase64url } from '../../src/server/base64url.js';

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
