/**
 * `/health` (alive) and `/ready` (store answers, signing keys loaded, not draining) of an
 * in-process server: ready answers 503 with reasons when the store is closed or the server drains.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CimdHost, createTestServer, ISSUER, startCimdHost } from '../token/harness.js';

let host: CimdHost;

beforeAll(async () => {
  host = await startCimdHost();
});
afterAll(async () => {
  await host.close();
});

describe('/health and /ready', () => {
  it('answer ok and ready on a working server, and not ready once draining', async () => {
    const t = await createTestServer(host);
    const health = await t.server.fetch(new Request(`${ISSUER}/health`));
    expect(health.status).toBe(200);
    expect(health.headers.get('cache-control')).toBe('no-store');
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await t.server.fetch(new Request(`${ISSUER}/ready`));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });

    t.server.drain();
    const draining = await t.server.fetch(new Request(`${ISSUER}/ready`));
    expect(draining.status).toBe(503);
    expect(await draining.json()).toEqual({
      status: 'unavailable',
      reasons: [expect.stringMatching(/^draining/)],
    });
    expect((await t.server.fetch(new Request(`${ISSUER}/health`))).status).toBe(200);
    await t.close();
  });

  it('/ready answers 503 naming the store when the store is closed', async () => {
    const t = await createTestServer(host);
    await t.store.close();
    const ready = await t.server.fetch(new Request(`${ISSUER}/ready`));
    expect(ready.status).toBe(503);
    expect(ready.headers.get('cache-control')).toBe('no-store');
    const body = (await ready.json()) as { status: string; reasons: string[] };
    expect(body.status).toBe('unavailable');
    expect(body.reasons).toEqual([expect.stringMatching(/^store_unavailable: .*closed/)]);
    expect(await t.server.readiness()).toEqual({ ready: false, reasons: body.reasons });
    await t.server.close();
  });
});
