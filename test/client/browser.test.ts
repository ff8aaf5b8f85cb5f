/** Handing out the authorization URL: no shell, https only (or loopback http), print fallback. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { assertOpenableUrl, deliverAuthorizationUrl, openerFor } from '../../src/client/browser.js';

describe('openerFor', () => {
  const url = 'https://as.example.com/authorize?a=1&b=$(id)`x`';
  it('passes the URL as one argument to the platform opener, never through a shell', () => {
    expect(openerFor('linux', url)).toEqual({ command: 'xdg-open', args: [url] });
    expect(openerFor('darwin', url)).toEqual({ command: 'open', args: [url] });
    expect(openerFor('win32', url)).toEqual({
      command: 'rundll32',
      args: ['url.dll,FileProtocolHandler', url],
    });
  });
});

describe('assertOpenableUrl', () => {
  it('accepts https, and http on loopback only', () => {
    expect(() => assertOpenableUrl(new URL('https://as.example.com/authorize'))).not.toThrow();
    expect(() => assertOpenableUrl(new URL('http://127.0.0.1:9/authorize'))).not.toThrow();
    for (const bad of [
      'http://as.example.com/authorize',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'myapp://x',
    ]) {
      expect(() => assertOpenableUrl(new URL(bad))).toThrow(
        expect.objectContaining({ code: 'ERR_SIGNIN_SERVER_UNSUPPORTED' }),
      );
    }
  });
});

describe('deliverAuthorizationUrl', () => {
  it('prints the URL on the given stream', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    await deliverAuthorizationUrl(new URL('https://as.example.com/authorize?x=1'), 'print', stream);
    expect(text).toContain('https://as.example.com/authorize?x=1');
  });

  it('hands the URL to a function', async () => {
    const seen: string[] = [];
    await deliverAuthorizationUrl(new URL('https://as.example.com/a'), (url) => {
      seen.push(url.href);
    });
    expect(seen).toEqual(['https://as.example.com/a']);
  });
});
