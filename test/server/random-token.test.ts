/** Random tokens cut from the pooled block: every token fresh, of the asked size, base64url. */
import { describe, expect, it } from 'vitest';
import { randomToken } from '../../src/server/random-token.js';

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
