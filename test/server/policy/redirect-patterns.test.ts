import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/errors.js';
import { compileRedirectUriPatterns } from '../../../src/server/policy/redirect-patterns.js';

describe('server-wide redirect URI patterns', () => {
  const patterns = compileRedirectUriPatterns([
    'http://127.0.0.1:*/callback',
    'https://*.example.com/cb',
    'com.example.app:/cb',
  ]);

  it.each([
    'http://127.0.0.1/callback',
    'http://127.0.0.1:53121/callback',
    'https://app.example.com/cb',
    'https://a.b.example.com/cb',
    'HTTPS://APP.EXAMPLE.COM/cb',
    'com.example.app:/cb',
  ])('allows %s', (uri) => {
    expect(patterns.allows(uri)).toBe(true);
  });

  it.each([
    'http://127.0.0.1:53121/callback?x=1',
    'http://localhost:53121/callback',
    'https://example.com/cb',
    'https://evil.test/x.example.com/cb',
    'https://evil.test?.example.com/cb',
    'https://user@app.example.com/cb',
    'https://app.example.com/CB',
    'https://app.example.com/cb/more',
    'com.example.other:/cb',
  ])('refuses %s', (uri) => {
    expect(patterns.allows(uri)).toBe(false);
  });

  it('has no limit without patterns', () => {
    expect(compileRedirectUriPatterns(undefined).allows('https://anything.test/cb')).toBe(true);
  });

  it('refuses a pattern without a scheme, with a fragment or white space', () => {
    for (const bad of ['*.example.com/cb', 'https://a.example.com/cb#x', 'https://a b/cb', '']) {
      expect(() => compileRedirectUriPatterns([bad])).toThrow(InvalidOptionError);
    }
  });
});
