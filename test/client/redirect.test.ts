/** Choosing the loopback redirect URI from the document, and checking the runtime one (RURI-10, MCP-C-27). */
import { describe, expect, it } from 'vitest';
import { assertRedirectAllowed, chooseLoopbackRedirect } from '../../src/client/redirect.js';

describe('chooseLoopbackRedirect', () => {
  it('RURI-10: prefers the IP literal over localhost, whatever the order', () => {
    const chosen = chooseLoopbackRedirect([
      'http://localhost/cb',
      'https://app.example.com/cb',
      'http://127.0.0.1/callback',
    ]);
    expect(chosen.host).toBe('127.0.0.1');
    expect(chosen.path).toBe('/callback');
    expect(chosen.uriFor(4567)).toBe('http://127.0.0.1:4567/callback');
  });

  it('uses [::1] before localhost, and localhost (also the FastMCP wildcard form) when it is all there is', () => {
    expect(chooseLoopbackRedirect(['http://localhost/a', 'http://[::1]/b']).uriFor(1)).toBe(
      'http://[::1]:1/b',
    );
    expect(chooseLoopbackRedirect(['http://localhost:*/cb']).uriFor(2)).toBe('http://localhost:2/cb');
  });

  it('replaces a registered port and keeps the path and query exactly (RURI-04)', () => {
    const chosen = chooseLoopbackRedirect(['http://127.0.0.1:33418/']);
    expect(chosen.uriFor(5000)).toBe('http://127.0.0.1:5000/');
    expect(chooseLoopbackRedirect(['http://127.0.0.1/cb?x=1']).uriFor(9)).toBe('http://127.0.0.1:9/cb?x=1');
    expect(chooseLoopbackRedirect(['http://127.0.0.1']).path).toBe('/');
  });

  it('refuses a document without a loopback redirect URI, saying what to add', () => {
    expect(() => chooseLoopbackRedirect(['https://app.example.com/cb', 'https://127.0.0.1/cb'])).toThrow(
      expect.objectContaining({
        code: 'ERR_SIGNIN_REDIRECT_URI',
        message: expect.stringContaining('http://127.0.0.1/callback'),
      }),
    );
  });
});

describe('assertRedirectAllowed', () => {
  it('MCP-C-27: allows the runtime URI on any port of a registered loopback URI', () => {
    expect(() =>
      assertRedirectAllowed('http://127.0.0.1:5123/callback', ['http://127.0.0.1/callback']),
    ).not.toThrow();
  });

  it('MCP-C-27: refuses another path or another loopback host with the matcher’s reason', () => {
    expect(() => assertRedirectAllowed('http://127.0.0.1:5123/other', ['http://127.0.0.1/callback'])).toThrow(
      expect.objectContaining({ code: 'ERR_SIGNIN_REDIRECT_URI' }),
    );
    expect(() =>
      assertRedirectAllowed('http://localhost:5123/callback', ['http://127.0.0.1/callback']),
    ).toThrow(/different hosts/);
  });
});
