import type { AddressInfo } from 'node:net';
import express from 'express';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientMetadataExpress } from '../../src/host/express.js';
import { clientMetadataMiddleware } from '../../src/host/index.js';

const DOCUMENT = (origin: string) => ({
  client_id: `${origin}/oauth/client.json`,
  client_name: 'Test Client',
  redirect_uris: ['http://127.0.0.1/callback'],
});

describe('the Hono middleware', () => {
  const app = new Hono();
  app.use(clientMetadataMiddleware({ document: DOCUMENT('http://localhost') }));
  app.get('/other', (c) => c.text('other'));

  it('serves the document, 304s and passes other paths on', async () => {
    const response = await app.request('http://localhost/oauth/client.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const etag = response.headers.get('etag')!;
    const again = await app.request('http://localhost/oauth/client.json', {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    expect(await (await app.request('http://localhost/other')).text()).toBe('other');
    expect((await app.request('http://127.0.0.1/oauth/client.json')).status).toBe(500);
  });
});

describe('the Express middleware (a real Express app on loopback)', () => {
  let server: ReturnType<ReturnType<typeof express>['listen']>;
  let origin: string;

  beforeAll(async () => {
    const app = express();
    await new Promise<void>((resolve) => {
      server = app.listen(0, '127.0.0.1', () => resolve());
    });
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    app.use(clientMetadataExpress({ document: DOCUMENT(origin), jwks: { keys: [] } }));
    app.get('/other', (_req, res) => {
      res.send('other');
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('serves the document with its headers, HEAD, 304 and 405; passes other paths on', async () => {
    const response = await fetch(`${origin}/oauth/client.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(await response.json()).toEqual(DOCUMENT(origin));
    const etag = response.headers.get('etag')!;
    expect((await fetch(`${origin}/oauth/client.json`, { headers: { 'if-none-match': etag } })).status).toBe(
      304,
    );
    const head = await fetch(`${origin}/oauth/client.json`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(etag);
    expect((await fetch(`${origin}/oauth/client.json`, { method: 'DELETE' })).status).toBe(405);
    expect(await (await fetch(`${origin}/jwks.json`)).json()).toEqual({ keys: [] });
    expect(await (await fetch(`${origin}/other`)).text()).toBe('other');
  });

  it('refuses the document under another host name (500)', async () => {
    const port = new URL(origin).port;
    const response = await fetch(`http://localhost:${port}/oauth/client.json`);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain('requested as: http://localhost:');
  });
});
