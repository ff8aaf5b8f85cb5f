/**
 * CIMD-AS-25: a trusted client's logo is fetched through the SSRF-safe fetcher (raster images
 * only, 64 KiB at most, never SVG), cached, and served from this server's origin; an untrusted
 * client's logo is never fetched; any failure just leaves the logo out.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Base64url } from '../../../src/server/crypto.js';
import { consentForm, type Harness, ISSUER, pkce, startHarness, validParams } from './helpers.js';

/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

let h: Harness;
let n = 0;
const { challenge } = pkce();

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

/** Serves `body` with `type` at a fresh path and returns its URL. */
function logo(body: Buffer, type: string, status = 200): { url: string; path: string } {
  n += 1;
  const path = `/logos/${n}`;
  h.host.route(path, (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': type }).end(body);
  });
  return { url: `${h.host.origin}${path}`, path };
}

/** A trusted client with `logoUrl`, its server, and the consent page HTML. */
async function trustedPage(logoUrl: string) {
  const clientId = h.client({ logo_uri: logoUrl });
  const server = h.server({ clients: { trustPolicy: { trusted: [clientId] } } });
  const form = await consentForm(await server.authorize(validParams(clientId, challenge)));
  return { server, clientId, html: form.html };
}

describe('trusted clients', () => {
  it('the logo is proxied: <img src> on our origin, served with nosniff, a private cache and no active content', async () => {
    const { url, path } = logo(PNG, 'image/png');
    const { server, html } = await trustedPage(url);
    const id = await sha256Base64url(url);
    expect(html).toContain(`<img class="logo" src="/logo/${id}" alt="">`);
    expect(html).not.toContain(url.replace(/^https:\/\//, ''));
    const response = await server.server.fetch(new Request(`${ISSUER}/logo/${id}`));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('private, max-age=300');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(Buffer.from(await response.arrayBuffer()).equals(PNG)).toBe(true);
    expect(h.host.hits.get(path)).toBe(1);
  });

  it('the cached copy is used: a swapped remote logo does not change what is served until the cache expires', async () => {
    const { url, path } = logo(PNG, 'image/png');
    const clientId = h.client({ logo_uri: url });
    const server = h.server({ clients: { trustPolicy: { trusted: [clientId] } } });
    await consentForm(await server.authorize(validParams(clientId, challenge)));
    h.host.route(path, (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(10));
    });
    await consentForm(await server.authorize(validParams(clientId, challenge)));
    expect(h.host.hits.get(path)).toBe(1);
    const served = await server.server.fetch(new Request(`${ISSUER}/logo/${await sha256Base64url(url)}`));
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it.each([
    ['an SVG', () => logo(SVG, 'image/svg+xml')],
    ['HTML', () => logo(Buffer.from('<html>'), 'text/html')],
    ['JSON', () => logo(Buffer.from('{}'), 'application/json')],
    ['an image type whose bytes are not that image', () => logo(SVG, 'image/png')],
    ['a 404', () => logo(PNG, 'image/png', 404)],
    ['more than 64 KiB', () => logo(Buffer.concat([PNG, Buffer.alloc(70_000)]), 'image/png')],
  ])('%s → no logo, and the page still renders', async (_name, make) => {
    const { url } = make();
    const { server, html } = await trustedPage(url);
    expect(html).not.toContain('<img');
    const served = await server.server.fetch(new Request(`${ISSUER}/logo/${await sha256Base64url(url)}`));
    expect(served.status).toBe(404);
    expect(server.logs.some((entry) => String(entry.fields.event).startsWith('logo.'))).toBe(true);
  });

  it('CIMD-AS-23: a non-https logo_uri is never fetched', async () => {
    const { html } = await trustedPage('file:///etc/passwd');
    expect(html).not.toContain('<img');
  });

  it('an unknown or malformed logo id → 404', async () => {
    const server = h.server();
    for (const id of ['A'.repeat(43), '..%2f..%2fetc', 'x']) {
      const response = await server.server.fetch(new Request(`${ISSUER}/logo/${id}`));
      expect(response.status).toBe(404);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });
});

describe("the fetcher's image mode", () => {
  it('sends an image Accept header and returns the bytes unparsed', async () => {
    let accept: string | undefined;
    n += 1;
    const path = `/logos/${n}`;
    h.host.route(path, (req, res) => {
      accept = req.headers.accept;
      res.writeHead(200, { 'content-type': 'image/webp' }).end(Buffer.from('RIFF0000WEBPVP8 '));
    });
    const server = h.server();
    const response = await server.server.context.fetcher.fetch(`${h.host.origin}${path}`, {
      accept: 'image',
    });
    expect(accept).toBe('image/png, image/jpeg, image/gif, image/webp');
    expect(response.json).toBeUndefined();
    expect(response.text).toBe('');
    expect(Buffer.from(response.body).toString()).toBe('RIFF0000WEBPVP8 ');
  });

  it('refuses SVG with ERR_FETCH_CONTENT_TYPE', async () => {
    const { url } = logo(SVG, 'image/svg+xml');
    const server = h.server();
    await expect(server.server.context.fetcher.fetch(url, { accept: 'image' })).rejects.toMatchObject({
      code: 'ERR_FETCH_CONTENT_TYPE',
    });
  });

  it('caps images at 64 KiB even when a larger maxBytes is asked', async () => {
    const { url } = logo(Buffer.alloc(65_537), 'image/png');
    const server = h.server();
    await expect(
      server.server.context.fetcher.fetch(url, { accept: 'image', maxBytes: 1_000_000 }),
    ).rejects.toMatchObject({ code: 'ERR_FETCH_TOO_LARGE' });
  });

  it('JSON requests are unchanged', async () => {
    const { url } = logo(Buffer.from('{"a":1}'), 'application/json');
    const server = h.server();
    expect((await server.server.context.fetcher.fetch(url)).json).toEqual({ a: 1 });
    await expect(server.server.context.fetcher.fetch(url, { accept: 'image' })).rejects.toMatchObject({
      code: 'ERR_FETCH_CONTENT_TYPE',
    });
  });
});
