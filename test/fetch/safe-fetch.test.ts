/**
 * The fetcher against a real HTTPS server on loopback (with `allowPrivateNetwork`, which lifts
 * only the address rules): statuses, redirects, content types, size cap, deadline, JSON, headers
 * and TLS trust.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createSafeFetcher,
  DOCUMENT_MAX_BYTES,
  FetchError,
  JWKS_MAX_BYTES,
  type SafeFetcher,
} from '../../src/fetch/index.js';
import { VERSION } from '../../src/version.js';
import { type HttpsHost, json, startHttpsHost } from '../helpers/https-host.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';

const DOCUMENT = {
  client_id: 'https://127.0.0.1/c.json',
  client_name: 'Test client',
  redirect_uris: ['http://127.0.0.1/callback'],
};

async function rejection(promise: Promise<unknown>): Promise<FetchError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the fetch to fail');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(FetchError);
  return error as FetchError;
}

/** A JSON string literal of exactly `bytes` bytes. */
function jsonOfSize(bytes: number): string {
  return JSON.stringify('a'.repeat(bytes - 2));
}

/** Writes `chunk` every `everyMs` until the response closes; returns a stop function. */
function drip(res: ServerResponse, chunk: string, everyMs: number, times = Number.POSITIVE_INFINITY): void {
  let sent = 0;
  const timer = setInterval(() => {
    if (sent >= times) {
      clearInterval(timer);
      res.end();
      return;
    }
    sent += 1;
    res.write(chunk);
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}

describe('createSafeFetcher against an HTTPS host on loopback', () => {
  let ca: TestCa;
  let host: HttpsHost;
  let fetcher: SafeFetcher;
  let url: (path: string) => string;

  beforeAll(async () => {
    ca = createTestCa();
    host = await startHttpsHost(ca);
    url = (path) => `${host.ipOrigin}${path}`;
  });
  beforeEach(() => {
    fetcher = createSafeFetcher({ allowPrivateNetwork: true, ca: ca.caCert, timeoutMs: 3000 });
  });
  afterEach(async () => {
    await fetcher.close();
  });
  afterAll(async () => {
    await host.close();
    ca.dispose();
  });

  it('CIMD-DOC-01 fetches a 200 JSON document', async () => {
    host.route('/ok.json', json(DOCUMENT));
    const response = await fetcher.fetch(url('/ok.json'));
    expect(response.status).toBe(200);
    expect(response.url).toBe(url('/ok.json'));
    expect(response.json).toEqual(DOCUMENT);
    expect(response.text).toBe(JSON.stringify(DOCUMENT));
    expect(response.byteLength).toBe(Buffer.byteLength(JSON.stringify(DOCUMENT)));
    expect(response.body).toBeInstanceOf(Uint8Array);
    expect(response.body.byteLength).toBe(response.byteLength);
    expect(response.headers['content-type']).toBe('application/json');
    expect(Object.getPrototypeOf(response.headers)).toBe(Object.prototype);
    expect(response.remoteAddress).toBe('127.0.0.1');
  });

  it('fetches through the default resolver for localhost and reuses the connection', async () => {
    host.route('/local.json', json({ ok: true }));
    const first = await fetcher.fetch(`${host.origin}/local.json`);
    const second = await fetcher.fetch(`${host.origin}/local.json`);
    expect(first.json).toEqual({ ok: true });
    expect(first.remoteAddress).toBe('127.0.0.1');
    expect(second.remoteAddress).toBe('127.0.0.1');
  });

  it('serves concurrent fetches of one origin', async () => {
    host.route('/a.json', json({ a: 1 }));
    host.route('/b.json', json({ b: 2 }));
    const [a, b] = await Promise.all([fetcher.fetch(url('/a.json')), fetcher.fetch(url('/b.json'))]);
    expect(a.json).toEqual({ a: 1 });
    expect(b.json).toEqual({ b: 2 });
  });

  it('sends Accept, User-Agent and no cookies or credentials', async () => {
    let seen: Record<string, string | string[] | undefined> = {};
    host.route('/headers.json', (req, res) => {
      seen = req.headers;
      json({})(req, res);
    });
    await fetcher.fetch(url('/headers.json'));
    expect(seen.accept).toBe('application/json');
    expect(seen['user-agent']).toBe(`mcp-cimd/${VERSION}`);
    expect(seen.cookie).toBeUndefined();
    expect(seen.authorization).toBeUndefined();
    expect(seen['proxy-authorization']).toBeUndefined();

    const custom = createSafeFetcher({ allowPrivateNetwork: true, ca: ca.caCert, userAgent: 'my-as/1.0' });
    await custom.fetch(url('/headers.json'));
    await custom.close();
    expect(seen['user-agent']).toBe('my-as/1.0');
  });

  describe('CIMD-AS-03 never follows redirects', () => {
    it.each([301, 302, 303, 307, 308])('refuses a %i and never hits the Location target', async (status) => {
      const target = `/target-${status}.json`;
      host.route(target, json(DOCUMENT));
      host.route(`/moved-${status}.json`, (_req, res) => {
        res.writeHead(status, { location: url(target) }).end();
      });
      const error = await rejection(fetcher.fetch(url(`/moved-${status}.json`)));
      expect(error.code).toBe('ERR_FETCH_REDIRECT');
      expect(error.status).toBe(status);
      expect(error.location).toBe(url(target));
      expect(error.message).toContain(`answered ${status} `);
      expect(error.message).toContain(`with Location ${url(target)}`);
      expect(error.message).toContain('redirects are never followed');
      expect(host.hits.get(target) ?? 0).toBe(0);
    });

    it('resolves a relative Location, and reports a redirect without one', async () => {
      host.route('/relative.json', (_req, res) => {
        res.writeHead(302, { location: '/elsewhere.json' }).end();
      });
      host.route('/bare.json', (_req, res) => {
        res.writeHead(307).end();
      });
      expect((await rejection(fetcher.fetch(url('/relative.json')))).location).toBe(url('/elsewhere.json'));
      const bare = await rejection(fetcher.fetch(url('/bare.json')));
      expect(bare.code).toBe('ERR_FETCH_REDIRECT');
      expect(bare.location).toBeUndefined();
      expect(host.hits.get('/elsewhere.json') ?? 0).toBe(0);
    });
  });

  describe('CIMD-AS-02 accepts only 200', () => {
    it.each([201, 203, 204, 206, 304, 404, 410, 500])('refuses a %i', async (status) => {
      host.route(`/status-${status}.json`, json(DOCUMENT, status));
      const error = await rejection(fetcher.fetch(url(`/status-${status}.json`)));
      expect(error.code).toBe('ERR_FETCH_STATUS');
      expect(error.status).toBe(status);
      expect(error.message).toContain(`answered ${status}`);
      expect(error.message).toContain('only 200 OK is accepted');
    });

    it('accepts a 304 to a conditional request with allowNotModified', async () => {
      host.route('/cached.json', (req, res) => {
        if (req.headers['if-none-match'] === '"v1"') res.writeHead(304, { etag: '"v1"' }).end();
        else json(DOCUMENT, 200, { etag: '"v1"' })(req, res);
      });
      const fresh = await fetcher.fetch(url('/cached.json'), { headers: { 'If-None-Match': '"v2"' } });
      expect(fresh.status).toBe(200);
      const revalidated = await fetcher.fetch(url('/cached.json'), {
        headers: { 'if-none-match': '"v1"' },
        allowNotModified: true,
      });
      expect(revalidated).toMatchObject({ status: 304, byteLength: 0, text: '', json: undefined });
      expect(revalidated.headers.etag).toBe('"v1"');
    });

    it('refuses a 304 when allowNotModified is off or the request was not conditional', async () => {
      host.route('/always-304.json', (_req, res) => {
        res.writeHead(304).end();
      });
      const notAllowed = await rejection(
        fetcher.fetch(url('/always-304.json'), { headers: { 'if-none-match': '"v1"' } }),
      );
      expect(notAllowed).toMatchObject({ code: 'ERR_FETCH_STATUS', status: 304 });
      const notConditional = await rejection(
        fetcher.fetch(url('/always-304.json'), { allowNotModified: true }),
      );
      expect(notConditional).toMatchObject({ code: 'ERR_FETCH_STATUS', status: 304 });
    });
  });

  describe('CIMD-AS-07 / CIMD-DOC-04 requires a JSON content type', () => {
    it.each([
      'application/json',
      'application/cimd+json',
      'application/json; charset=utf-8',
      'Application/JSON',
    ])('accepts %s', async (contentType) => {
      const path = `/type-${encodeURIComponent(contentType)}`;
      host.route(path, json(DOCUMENT, 200, { 'content-type': contentType }));
      expect((await fetcher.fetch(url(path))).json).toEqual(DOCUMENT);
    });

    it.each(['text/html', 'text/plain', 'application/javascript', 'application/jsonp'])(
      'refuses %s',
      async (contentType) => {
        const path = `/type-${encodeURIComponent(contentType)}`;
        host.route(path, json(DOCUMENT, 200, { 'content-type': contentType }));
        const error = await rejection(fetcher.fetch(url(path)));
        expect(error.code).toBe('ERR_FETCH_CONTENT_TYPE');
        expect(error.message).toContain(`was served as ${contentType}`);
      },
    );

    it('refuses a response without Content-Type', async () => {
      host.route('/untyped.json', (_req, res) => {
        res.writeHead(200).end(JSON.stringify(DOCUMENT));
      });
      const error = await rejection(fetcher.fetch(url('/untyped.json')));
      expect(error.code).toBe('ERR_FETCH_CONTENT_TYPE');
      expect(error.message).toContain('without a Content-Type');
    });
  });

  describe('CIMD-AS-24 caps the body size', () => {
    it('refuses a declared Content-Length over the cap without waiting for the body', async () => {
      host.route('/declared-large.json', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '6144' });
        res.write('"'); // The rest never comes: reading the body would wait for the deadline.
      });
      const started = performance.now();
      const error = await rejection(fetcher.fetch(url('/declared-large.json')));
      expect(error.code).toBe('ERR_FETCH_TOO_LARGE');
      expect(error.message).toContain('is 6144 bytes (Content-Length), over the 5120-byte limit');
      expect(performance.now() - started).toBeLessThan(1000);
    });

    it('aborts a chunked body without Content-Length once it passes the cap', async () => {
      let closed = false;
      host.route('/endless.json', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.on('close', () => {
          closed = true;
        });
        drip(res, ' '.repeat(1024), 5);
      });
      const error = await rejection(fetcher.fetch(url('/endless.json')));
      expect(error.code).toBe('ERR_FETCH_TOO_LARGE');
      expect(error.message).toContain('sent more than 5120 bytes, over the 5120-byte limit');
      await expect.poll(() => closed).toBe(true);
    });

    it.each([
      ['with Content-Length', true],
      ['chunked', false],
    ])('passes exactly 5120 bytes and refuses 5121 (%s)', async (_label, withLength) => {
      const serve = (body: string) => (_req: unknown, res: ServerResponse) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (withLength) headers['content-length'] = String(Buffer.byteLength(body));
        res.writeHead(200, headers);
        res.write(body.slice(0, 100));
        res.end(body.slice(100));
      };
      host.route(`/exact-${withLength}.json`, serve(jsonOfSize(DOCUMENT_MAX_BYTES)));
      host.route(`/over-${withLength}.json`, serve(jsonOfSize(DOCUMENT_MAX_BYTES + 1)));
      const exact = await fetcher.fetch(url(`/exact-${withLength}.json`));
      expect(exact.byteLength).toBe(5120);
      const error = await rejection(fetcher.fetch(url(`/over-${withLength}.json`)));
      expect(error.code).toBe('ERR_FETCH_TOO_LARGE');
    });

    it('takes a per-request cap (JWKS_MAX_BYTES) and a per-fetcher one', async () => {
      host.route('/jwks.json', json(jsonOfSize(6144), 200, { 'content-type': 'application/jwk-set+json' }));
      expect((await fetcher.fetch(url('/jwks.json'), { maxBytes: JWKS_MAX_BYTES })).byteLength).toBe(6144);
      expect((await rejection(fetcher.fetch(url('/jwks.json')))).code).toBe('ERR_FETCH_TOO_LARGE');
      const small = createSafeFetcher({ allowPrivateNetwork: true, ca: ca.caCert, maxBytes: 10 });
      host.route('/eleven.json', json(jsonOfSize(11)));
      expect((await rejection(small.fetch(url('/eleven.json')))).code).toBe('ERR_FETCH_TOO_LARGE');
      await small.close();
    });
  });

  describe('one deadline over connect, headers and body', () => {
    it('times out a body that trickles in under the size cap', async () => {
      host.route('/trickle.json', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        drip(res, ' ', 100, 40);
      });
      const started = performance.now();
      const error = await rejection(fetcher.fetch(url('/trickle.json'), { timeoutMs: 500 }));
      expect(error.code).toBe('ERR_FETCH_TIMEOUT');
      expect(error.message).toContain('did not complete within 500 ms');
      expect(performance.now() - started).toBeLessThan(1500);
    });

    it('times out a server that never sends headers', async () => {
      host.route('/silent.json', () => {
        // Never answers.
      });
      const quick = createSafeFetcher({ allowPrivateNetwork: true, ca: ca.caCert, timeoutMs: 300 });
      const started = performance.now();
      const error = await rejection(quick.fetch(url('/silent.json')));
      await quick.close();
      expect(error.code).toBe('ERR_FETCH_TIMEOUT');
      expect(performance.now() - started).toBeLessThan(1300);
    });

    it('times out a resolver that never answers', async () => {
      const stuck = createSafeFetcher({ timeoutMs: 200, resolver: () => new Promise(() => {}) });
      const error = await rejection(stuck.fetch('https://docs.cimd-example.dev/c.json'));
      await stuck.close();
      expect(error.code).toBe('ERR_FETCH_TIMEOUT');
    });

    it("rejects with the caller's abort reason", async () => {
      host.route('/slow.json', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        drip(res, ' ', 50, 20);
      });
      const controller = new AbortController();
      const reason = new Error('shutting down');
      setTimeout(() => controller.abort(reason), 100);
      await expect(fetcher.fetch(url('/slow.json'), { signal: controller.signal })).rejects.toBe(reason);
      await expect(fetcher.fetch(url('/slow.json'), { signal: AbortSignal.abort(reason) })).rejects.toBe(
        reason,
      );
    });
  });

  describe('CIMD-AS-04 requires valid JSON', () => {
    it.each([
      ['truncated', '{"client_id":'],
      ['HTML', '<html><body>hi</body></html>'],
      ['empty', ''],
    ])('refuses a %s body', async (_label, body) => {
      host.route(`/bad-${_label}.json`, json(body));
      const error = await rejection(fetcher.fetch(url(`/bad-${_label}.json`)));
      expect(error.code).toBe('ERR_FETCH_INVALID_JSON');
      expect(error.message).toContain('is not valid JSON');
    });

    it('refuses a body that is not UTF-8', async () => {
      host.route('/latin1.json', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.from([0x22, 0xe9, 0x22]));
      });
      expect((await rejection(fetcher.fetch(url('/latin1.json')))).code).toBe('ERR_FETCH_INVALID_JSON');
    });
  });

  describe('TLS', () => {
    it('refuses a certificate no trusted CA vouches for', async () => {
      host.route('/tls.json', json(DOCUMENT));
      const strict = createSafeFetcher({ allowPrivateNetwork: true });
      const error = await rejection(strict.fetch(url('/tls.json')));
      await strict.close();
      expect(error.code).toBe('ERR_FETCH_NETWORK');
      expect(error.message).toContain('TLS certificate that is not trusted');
      expect(host.hits.get('/tls.json') ?? 0).toBe(0);
    });

    it('keeps verifying certificates when NODE_TLS_REJECT_UNAUTHORIZED=0 is set', async () => {
      host.route('/tls-env.json', json(DOCUMENT));
      const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
      try {
        const strict = createSafeFetcher({ allowPrivateNetwork: true });
        const error = await rejection(strict.fetch(url('/tls-env.json')));
        await strict.close();
        expect(error.code).toBe('ERR_FETCH_NETWORK');
      } finally {
        if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
        else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
      }
      expect(host.hits.get('/tls-env.json') ?? 0).toBe(0);
    });

    it('reports a closed port as a network error without the address', async () => {
      const closed = createSafeFetcher({
        allowPrivateNetwork: true,
        ca: ca.caCert,
        resolver: async () => [{ address: '127.0.0.1', family: 4 }],
      });
      const error = await rejection(closed.fetch('https://docs.cimd-example.dev:1/c.json'));
      await closed.close();
      expect(error.code).toBe('ERR_FETCH_NETWORK');
      expect(error.message).toContain('refused the connection');
      expect(error.message).not.toContain('127.0.0.1');
    });
  });

  it('fails fetches after close()', async () => {
    host.route('/after-close.json', json(DOCUMENT));
    await fetcher.close();
    await fetcher.close();
    const error = await rejection(fetcher.fetch(url('/after-close.json')));
    expect(error.code).toBe('ERR_FETCH_NETWORK');
    expect(error.message).toContain('the fetcher is closed');
  });
});
