import { request } from 'node:https';
import { afterAll, describe, expect, it } from 'vitest';
import { json, startHttpsHost } from './https-host.js';
import { createTestCa } from './test-ca.js';

describe('test CA helper', () => {
  const ca = createTestCa();
  afterAll(() => ca.dispose());

  it('serves HTTPS on loopback with a certificate the test CA vouches for', async () => {
    const host = await startHttpsHost(ca);
    host.route('/c.json', json({ ok: true }));
    const body = await new Promise<string>((resolve, reject) => {
      request(`${host.origin}/c.json`, { ca: ca.caCert }, (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    await host.close();
    expect(JSON.parse(body)).toEqual({ ok: true });
    expect(host.hits.get('/c.json')).toBe(1);
  });
});
