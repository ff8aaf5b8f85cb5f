/**
 * The failure policy: fail closed by default; `serveStaleOnErrorMs` keeps a previously valid
 * document only while its host is DOWN (network error, timeout, 5xx) and only within the window;
 * never for an invalid new document, a 4xx or a redirect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock, documentFor, type Harness, refusal, startHarness } from './fixtures.js';

const WINDOW = 300_000;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

/** A document at a fresh path, cached for 60 s, then switched to `fail`. */
async function cachedThen(
  fail: 'status-503' | 'status-500' | 'reset' | 'status-404' | 'redirect' | 'invalid',
  options: { serveStaleOnErrorMs?: number } = {},
) {
  const clock = createClock();
  const registry = h.registry({ now: clock.now, ...options });
  const path = h.path();
  const url = h.url(path);
  h.serve(path, documentFor(url), { 'cache-control': 'max-age=60', etag: '"ok"' });
  const first = await registry.resolveClient(url);
  h.route(path, (_req, res) => {
    switch (fail) {
      case 'status-503':
        res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
        return;
      case 'status-500':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
        return;
      case 'reset':
        res.socket?.destroy();
        return;
      case 'status-404':
        res.writeHead(404, { 'content-type': 'text/plain' }).end('gone');
        return;
      case 'redirect':
        res.writeHead(302, { location: `${url}.moved` }).end();
        return;
      case 'invalid':
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(documentFor(url, { token_endpoint_auth_method: 'client_secret_post' })));
        return;
    }
  });
  clock.advance(61_000);
  return { clock, registry, url, path, first };
}

describe('fail closed by default', () => {
  it.each(['status-503', 'reset'] as const)(
    'a stale document whose host is down (%s) is refused',
    async (fail) => {
      const { registry, url } = await cachedThen(fail);
      await refusal(registry.resolveClient(url), 'ERR_CIMD_FETCH');
    },
  );
});

describe('serveStaleOnErrorMs', () => {
  it.each(['status-503', 'status-500', 'reset'] as const)(
    'serves the previous document marked stale while the host is down (%s), within the window only',
    async (fail) => {
      const { clock, registry, url, first } = await cachedThen(fail, { serveStaleOnErrorMs: WINDOW });
      const stale = await registry.resolveClient(url);
      expect(stale.provenance.stale).toBe(true);
      expect(stale.provenance.fetchedAt).toBe(first.provenance.fetchedAt);
      expect(stale.fingerprint).toBe(first.fingerprint);
      // Fresh until t+60 s, so stale use ends at t+60 s + WINDOW; the clock is at t+61 s.
      clock.advance(WINDOW - 2000);
      expect((await registry.resolveClient(url)).provenance.stale).toBe(true);
      clock.advance(2000);
      await refusal(registry.resolveClient(url), 'ERR_CIMD_FETCH');
    },
  );

  it('each stale use asks the host again, and a recovered host ends staleness', async () => {
    const { registry, url, path } = await cachedThen('status-503', { serveStaleOnErrorMs: WINDOW });
    await registry.resolveClient(url);
    await registry.resolveClient(url);
    expect(h.hits(path)).toBe(3);
    h.serve(path, documentFor(url), { 'cache-control': 'max-age=60' });
    const fresh = await registry.resolveClient(url);
    expect(fresh.provenance.stale).toBeUndefined();
  });

  it.each([
    ['an invalid new document', 'invalid', 'ERR_CIMD_INVALID_DOCUMENT'],
    ['a 404', 'status-404', 'ERR_CIMD_FETCH'],
    ['a redirect', 'redirect', 'ERR_CIMD_FETCH'],
  ] as const)('never for %s, and the old copy is dropped', async (_name, fail, code) => {
    const { registry, url, path } = await cachedThen(fail, { serveStaleOnErrorMs: WINDOW });
    await refusal(registry.resolveClient(url), code);
    h.route(path, (_req, res) => {
      res.writeHead(503).end();
    });
    await refusal(registry.resolveClient(url), 'ERR_CIMD_FETCH');
  });

  it('once the host is seen down, an exhausted fetch budget keeps serving the stale copy (only then)', async () => {
    const clock = createClock();
    const registry = h.registry({
      now: clock.now,
      serveStaleOnErrorMs: WINDOW,
      fetchBudget: { requestsPerMinute: 2 },
    });
    const path = h.path();
    const url = h.url(path);
    h.serve(path, documentFor(url), { 'cache-control': 'max-age=60' });
    await registry.resolveClient(url);
    h.serve(path, {}, {}, 503);
    clock.advance(61_000);
    expect((await registry.resolveClient(url)).provenance.stale).toBe(true);
    expect((await registry.resolveClient(url)).provenance.stale).toBe(true);
    expect(h.hits(path)).toBe(3);

    // Budget spent but the host never seen down: a budget refusal, not a stale copy.
    const strict = h.registry({
      now: clock.now,
      fetchBudget: { requestsPerMinute: 1 },
      serveStaleOnErrorMs: WINDOW,
    });
    const stalePath = h.path();
    const otherPath = h.path();
    h.serve(stalePath, documentFor(h.url(stalePath)), { 'cache-control': 'max-age=60' });
    h.serve(otherPath, documentFor(h.url(otherPath)), { 'cache-control': 'max-age=60' });
    await strict.resolveClient(h.url(stalePath));
    clock.advance(61_000);
    await strict.resolveClient(h.url(otherPath));
    await refusal(strict.resolveClient(h.url(stalePath)), 'ERR_CIMD_FETCH_BUDGET');
  });

  it('is validated', () => {
    expect(() => h.registry({ serveStaleOnErrorMs: -1 })).toThrow(/serveStaleOnErrorMs/);
  });
});
