/**
 * The loopback callback listener (RURI-10, RURI-11, MCP-C-28, DISC-09): loopback only, a random
 * port, open only until the callback, an error, a timeout or close().
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  findFreeLoopbackPort,
  type LoopbackListener,
  startLoopbackListener,
} from '../../src/client/loopback.js';

const listeners: LoopbackListener[] = [];
afterEach(async () => {
  while (listeners.length > 0) await listeners.pop()?.close();
});

async function listener(options: Partial<Parameters<typeof startLoopbackListener>[0]> = {}) {
  const started = await startLoopbackListener({
    host: '127.0.0.1',
    path: '/callback',
    state: 'the-state',
    issuer: 'https://as.example.com',
    ...options,
  });
  listeners.push(started);
  return started;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw GET (so the Host header and path are exactly what the test says). */
function get(port: number, path: string, host = `127.0.0.1:${port}`, address = '127.0.0.1'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: address, port, path, method: 'GET', headers: { host }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function refused(port: number, address = '127.0.0.1'): Promise<boolean> {
  return get(port, '/callback', `127.0.0.1:${port}`, address).then(
    () => false,
    (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED',
  );
}

describe('loopback listener', () => {
  it('RURI-10: binds 127.0.0.1 only, on a random port', async () => {
    const first = await listener();
    const second = await listener();
    expect(first.addresses).toEqual(['127.0.0.1']);
    expect(first.port).toBeGreaterThan(0);
    expect(first.port).not.toBe(second.port);
  });

  it('RURI-10: is closed after the callback', async () => {
    const started = await listener();
    const answer = await get(
      started.port,
      '/callback?code=abc&state=the-state&iss=https%3A%2F%2Fas.example.com',
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('You can close this tab');
    await expect(started.result).resolves.toEqual({
      code: 'abc',
      state: 'the-state',
      iss: 'https://as.example.com',
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await refused(started.port)).toBe(true);
  });

  it('RURI-10: is closed after the timeout, and the sign-in fails with ERR_SIGNIN_TIMEOUT', async () => {
    const started = await listener({ timeoutMs: 50 });
    await expect(started.result).rejects.toMatchObject({ code: 'ERR_SIGNIN_TIMEOUT' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await refused(started.port)).toBe(true);
  });

  it('is closed by close(), and a waiting sign-in fails with ERR_SIGNIN_CANCELLED', async () => {
    const started = await listener();
    await started.close();
    await expect(started.result).rejects.toMatchObject({ code: 'ERR_SIGNIN_CANCELLED' });
    expect(await refused(started.port)).toBe(true);
  });

  it('MCP-C-28: a callback with a wrong state is refused and ends the sign-in', async () => {
    const started = await listener();
    const answer = await get(started.port, '/callback?code=abc&state=other');
    expect(answer.status).toBe(400);
    await expect(started.result).rejects.toMatchObject({ code: 'ERR_SIGNIN_STATE_MISMATCH' });
  });

  it('DISC-09: a callback whose iss names another server is refused', async () => {
    const started = await listener();
    await get(started.port, '/callback?code=abc&state=the-state&iss=https%3A%2F%2Fevil.example.com');
    await expect(started.result).rejects.toMatchObject({ code: 'ERR_SIGNIN_ISSUER_MISMATCH' });
  });

  it('an error callback shows an escaped message and fails the sign-in', async () => {
    const started = await listener();
    const answer = await get(
      started.port,
      `/callback?error=server_error&error_description=${encodeURIComponent('<script>x</script>')}&state=the-state`,
    );
    expect(answer.status).toBe(400);
    expect(answer.body).not.toContain('<script>');
    expect(answer.body).toContain('&lt;script&gt;');
    await expect(started.result).rejects.toMatchObject({ code: 'ERR_SIGNIN_DENIED' });
  });

  it('RURI-11: never redirects, ignores next= style parameters, and sends a locked-down page', async () => {
    const started = await listener();
    const answer = await get(
      started.port,
      '/callback?code=abc&state=the-state&next=https%3A%2F%2Fevil.example.com',
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.location).toBeUndefined();
    expect(answer.body).not.toContain('evil.example.com');
    expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['x-frame-options']).toBe('DENY');
  });

  it('answers other paths and other Host headers without ending the sign-in', async () => {
    const started = await listener();
    expect((await get(started.port, '/favicon.ico')).status).toBe(404);
    expect((await get(started.port, '/callback/extra?code=x&state=the-state')).status).toBe(404);
    expect(
      (await get(started.port, '/callback?code=x&state=the-state', `rebind.example:${started.port}`)).status,
    ).toBe(400);
    const answer = await get(started.port, '/callback?code=ok&state=the-state');
    expect(answer.status).toBe(200);
    await expect(started.result).resolves.toMatchObject({ code: 'ok' });
  });

  it('RURI-05: a localhost redirect listens on 127.0.0.1 (and ::1 when there is one), never on all interfaces', async () => {
    const started = await listener({ host: 'localhost' });
    expect(started.addresses[0]).toBe('127.0.0.1');
    expect(started.addresses.every((address) => address === '127.0.0.1' || address === '::1')).toBe(true);
    const answer = await get(started.port, '/callback?code=x&state=the-state', `localhost:${started.port}`);
    expect(answer.status).toBe(200);
  });

  it('refuses a port that is taken with ERR_SIGNIN_LISTENER', async () => {
    const started = await listener();
    await expect(listener({ port: started.port })).rejects.toMatchObject({ code: 'ERR_SIGNIN_LISTENER' });
  });

  it('findFreeLoopbackPort leaves nothing open', async () => {
    const port = await findFreeLoopbackPort('127.0.0.1');
    expect(port).toBeGreaterThan(0);
    expect(await refused(port)).toBe(true);
  });
});
