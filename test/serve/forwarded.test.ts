/**
 * `--trust-proxy`: what the proxy directly in front reports is believed (the last element of
 * `Forwarded` or `X-Forwarded-*`), malformed values are ignored, and the request gets its original
 * scheme and host (its body kept).
 */
import { describe, expect, it } from 'vitest';
import { originalUrl, readForwarded } from '../../src/serve/forwarded.js';

const headers = (entries: Record<string, string>) => new Headers(entries);

describe('readForwarded', () => {
  it('takes the last X-Forwarded-For, -Proto and -Host (the ones the nearest proxy added)', () => {
    expect(
      readForwarded(
        headers({
          'x-forwarded-for': '10.0.0.1, 198.51.100.1, 203.0.113.7',
          'x-forwarded-proto': 'http, https',
          'x-forwarded-host': 'evil.example, auth.example.com',
        }),
      ),
    ).toEqual({ clientAddress: '203.0.113.7', proto: 'https', host: 'auth.example.com' });
  });

  it('prefers RFC 7239 Forwarded, with quoted IPv6 and ports', () => {
    expect(
      readForwarded(
        headers({
          forwarded:
            'for=192.0.2.60;proto=http, for="[2001:db8:cafe::17]:4711";proto=https;host=Auth.Example.com',
          'x-forwarded-for': '198.51.100.9',
        }),
      ),
    ).toEqual({ clientAddress: '2001:db8:cafe::17', proto: 'https', host: 'auth.example.com' });
    expect(readForwarded(headers({ forwarded: 'for=192.0.2.43:8080' }))).toEqual({
      clientAddress: '192.0.2.43',
    });
  });

  it('ignores what is not an address, a scheme or a plain host', () => {
    expect(
      readForwarded(
        headers({
          forwarded: 'for=unknown;proto=gopher;host="a.example/path"',
          'x-forwarded-for': '_hidden',
        }),
      ),
    ).toEqual({});
    expect(readForwarded(headers({ 'x-forwarded-host': 'user@auth.example.com' }))).toEqual({});
    expect(readForwarded(headers({}))).toEqual({});
  });
});

describe('originalUrl', () => {
  it('gives the URL the forwarded scheme and host, keeping its path and query', () => {
    expect(originalUrl('http://127.0.0.1:4000/token?x=1', { proto: 'https', host: 'auth.example.com' })).toBe(
      'https://auth.example.com/token?x=1',
    );
  });

  it('is the same URL when the proxy reports neither', () => {
    expect(originalUrl('http://127.0.0.1:4000/jwks', { clientAddress: '203.0.113.7' })).toBe(
      'http://127.0.0.1:4000/jwks',
    );
  });
});
