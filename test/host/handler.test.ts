import { describe, expect, it, vi } from 'vitest';
import { serveClientMetadata } from '../../src/host/index.js';
import { isCimdError } from '../../src/index.js';

const CLIENT_ID = 'https://app.example.com/oauth/client.json';
const DOCUMENT = {
  client_id: CLIENT_ID,
  client_name: 'Test Client',
  redirect_uris: ['http://127.0.0.1/callback'],
  token_endpoint_auth_method: 'private_key_jwt',
  token_endpoint_auth_signing_alg: 'ES256',
  jwks_uri: 'https://app.example.com/oauth/jwks.json',
};
const PUBLIC_KEY = {
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
  kid: 'key-1',
  alg: 'ES256',
  use: 'sig',
};
const JWKS = { keys: [PUBLIC_KEY] };

const get = (url: string, init: RequestInit = {}) => new Request(url, init);

describe('serveClientMetadata', () => {
  const host = serveClientMetadata({ document: DOCUMENT, jwks: JWKS });

  it('CIMD-DOC-01 serves the document at its client_id: 200, application/json, Cache-Control, ETag', async () => {
    const response = await host.fetch(get(CLIENT_ID));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(response.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.json()).toEqual(DOCUMENT);
  });

  it('serves the JWKS at the path of the document jwks_uri, with its own ETag', async () => {
    expect(host.jwksPath).toBe('/oauth/jwks.json');
    const response = await host.fetch(get('https://app.example.com/oauth/jwks.json'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual(JWKS);
    const documentTag = (await host.fetch(get(CLIENT_ID))).headers.get('etag');
    expect(response.headers.get('etag')).not.toBe(documentTag);
  });

  it('answers If-None-Match with 304 (no body; ETag and Cache-Control kept), weak or listed tags too', async () => {
    const etag = (await host.fetch(get(CLIENT_ID))).headers.get('etag')!;
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const response = await host.fetch(get(CLIENT_ID, { headers: { 'if-none-match': header } }));
      expect(response.status).toBe(304);
      expect(response.headers.get('etag')).toBe(etag);
      expect(response.headers.get('cache-control')).toBe('public, max-age=300');
      expect(await response.text()).toBe('');
    }
    const changed = await host.fetch(get(CLIENT_ID, { headers: { 'if-none-match': '"stale"' } }));
    expect(changed.status).toBe(200);
  });

  it('answers HEAD with the headers and no body', async () => {
    const response = await host.fetch(get(CLIENT_ID, { method: 'HEAD' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(JSON.stringify(DOCUMENT).length));
    expect(response.headers.get('etag')).toBeTruthy();
    expect(await response.text()).toBe('');
  });

  it('answers other methods with 405 and Allow, other paths with 404 (or undefined from the handler itself)', async () => {
    const post = await host.fetch(get(CLIENT_ID, { method: 'POST', body: '{}' }));
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await host.fetch(get('https://app.example.com/other.json'))).status).toBe(404);
    expect(await host(get('https://app.example.com/other.json'))).toBeUndefined();
  });

  it('serves a document given as text byte for byte', async () => {
    const text = `${JSON.stringify(DOCUMENT, null, 2)}\n`;
    const response = await serveClientMetadata({ document: text }).fetch(get(CLIENT_ID));
    expect(await response.text()).toBe(text);
  });

  describe('CIMD-DOC-03 refuses to serve a document anywhere but at its client_id', () => {
    for (const [label, url] of [
      ['another host', 'https://other.example.com/oauth/client.json'],
      ['another scheme', 'http://app.example.com/oauth/client.json'],
      ['another port', 'https://app.example.com:8443/oauth/client.json'],
      ['a query', `${CLIENT_ID}?v=2`],
    ] as const) {
      it(`${label}: 500 with an explanation, never the document`, async () => {
        const onClientIdMismatch = vi.fn();
        const strict = serveClientMetadata({ document: DOCUMENT, onClientIdMismatch });
        const response = await strict.fetch(get(url));
        expect(response.status).toBe(500);
        expect(response.headers.get('cache-control')).toBe('no-store');
        const body = await response.text();
        expect(body).toContain(`client_id:    ${CLIENT_ID}`);
        expect(body).toContain(`requested as: ${url}`);
        expect(body).not.toContain('Test Client');
        expect(onClientIdMismatch).toHaveBeenCalledWith({ clientId: CLIENT_ID, servedUrl: url });
      });
    }

    it('at another path: documentPath cannot move it without a proxy (refused at construction)', () => {
      expect(() => serveClientMetadata({ document: DOCUMENT, documentPath: '/client.json' })).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_OPTION',
          message: expect.stringMatching(/every request would be refused/),
        }),
      );
    });
  });

  describe('behind a proxy', () => {
    it('publicUrl as an origin: the request path is kept and the request host ignored', async () => {
      const proxied = serveClientMetadata({ document: DOCUMENT, publicUrl: 'https://app.example.com' });
      expect((await proxied.fetch(get('http://127.0.0.1:8080/oauth/client.json'))).status).toBe(200);
      const other = serveClientMetadata({ document: DOCUMENT, publicUrl: 'https://cdn.example.com' });
      expect((await other.fetch(get('http://127.0.0.1:8080/oauth/client.json'))).status).toBe(500);
    });

    it('publicUrl as the document URL: checked at construction, then served at documentPath', async () => {
      const proxied = serveClientMetadata({
        document: DOCUMENT,
        publicUrl: CLIENT_ID,
        documentPath: '/client.json',
      });
      expect((await proxied.fetch(get('http://127.0.0.1:8080/client.json'))).status).toBe(200);
      expect(() =>
        serveClientMetadata({ document: DOCUMENT, publicUrl: 'https://app.example.com/client.json' }),
      ).toThrow(expect.objectContaining({ code: 'ERR_CIMD_CLIENT_ID_MISMATCH' }));
    });

    it('trustProxy: the Forwarded or X-Forwarded-* origin is what the document must match', async () => {
      const proxied = serveClientMetadata({ document: DOCUMENT, trustProxy: true });
      const via = (headers: Record<string, string>) =>
        proxied.fetch(get('http://10.0.0.5:3000/oauth/client.json', { headers }));
      expect((await via({ forwarded: 'for=1.2.3.4;proto=https;host=app.example.com' })).status).toBe(200);
      expect(
        (await via({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com' })).status,
      ).toBe(200);
      expect((await via({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' })).status).toBe(
        500,
      );
      expect((await via({})).status).toBe(500);
      const untrusting = serveClientMetadata({ document: DOCUMENT });
      const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com' };
      expect(
        (await untrusting.fetch(get('http://10.0.0.5:3000/oauth/client.json', { headers: forwarded })))
          .status,
      ).toBe(500);
    });
  });

  describe('construction', () => {
    const invalidOption = (run: () => unknown, message: RegExp) => {
      let caught: unknown;
      try {
        run();
      } catch (error) {
        caught = error;
      }
      expect(isCimdError(caught, 'ERR_INVALID_OPTION')).toBe(true);
      expect((caught as Error).message).toMatch(message);
    };

    it('CIMD-KEY-03 refuses a JWKS with a private member', () => {
      invalidOption(
        () => serveClientMetadata({ document: DOCUMENT, jwks: { keys: [{ ...PUBLIC_KEY, d: 'secret' }] } }),
        /CIMD-KEY-03 Leaked private key/,
      );
      invalidOption(
        () =>
          serveClientMetadata({
            document: DOCUMENT,
            jwks: JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'k' }] }),
          }),
        /CIMD-KEY-03/,
      );
    });

    it('CIMD-KEY-03 refuses a document whose inline jwks has a private member', () => {
      const { jwks_uri: _uri, ...inline } = DOCUMENT;
      invalidOption(
        () =>
          serveClientMetadata({ document: { ...inline, jwks: { keys: [{ ...PUBLIC_KEY, d: 'secret' }] } } }),
        /inline jwks/,
      );
    });

    it('refuses a document that is not a JSON object with a URL client_id, and a JWKS that is not a set', () => {
      invalidOption(() => serveClientMetadata({ document: '{' }), /not valid JSON/);
      invalidOption(() => serveClientMetadata({ document: '[]' }), /JSON object/);
      invalidOption(() => serveClientMetadata({ document: { client_name: 'x' } }), /client_id/);
      invalidOption(() => serveClientMetadata({ document: { client_id: '/relative' } }), /client_id/);
      invalidOption(() => serveClientMetadata({ document: DOCUMENT, jwks: { keys: 'x' } }), /CIMD-KEY-01/);
    });

    it('refuses clashing or malformed paths, and a header value with control characters', () => {
      invalidOption(
        () => serveClientMetadata({ document: DOCUMENT, jwks: JWKS, jwksPath: '/oauth/client.json' }),
        /share the path/,
      );
      invalidOption(
        () => serveClientMetadata({ document: DOCUMENT, documentPath: 'client.json' }),
        /documentPath/,
      );
      invalidOption(
        () => serveClientMetadata({ document: DOCUMENT, cacheControl: 'max-age=1\r\nx: y' }),
        /cacheControl/,
      );
      invalidOption(
        () => serveClientMetadata({ document: DOCUMENT, publicUrl: 'https://app.example.com/?q' }),
        /publicUrl/,
      );
    });

    it('serves the JWKS at /jwks.json when jwks_uri is elsewhere, or at jwksPath', async () => {
      const elsewhere = { ...DOCUMENT, jwks_uri: 'https://keys.example.com/jwks.json' };
      expect(serveClientMetadata({ document: elsewhere, jwks: JWKS }).jwksPath).toBe('/jwks.json');
      const custom = serveClientMetadata({ document: DOCUMENT, jwks: JWKS, jwksPath: '/keys' });
      expect((await custom.fetch(get('https://app.example.com/keys'))).status).toBe(200);
      expect(serveClientMetadata({ document: DOCUMENT }).jwksPath).toBeUndefined();
    });

    it('takes its Cache-Control', async () => {
      const custom = serveClientMetadata({ document: DOCUMENT, cacheControl: 'no-cache' });
      expect((await custom.fetch(get(CLIENT_ID))).headers.get('cache-control')).toBe('no-cache');
    });
  });
});
