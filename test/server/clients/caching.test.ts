/**
 * CIMD-AS-12, -13, -14: RFC 9111 caching of client metadata documents against a real HTTPS host
 * on loopback that counts requests; time moves on an injected clock, never by sleeping.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock, documentFor, type Harness, refusal, startHarness } from './fixtures.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

/** Serves a valid document with `headers`; returns the path and its URL. */
function served(headers: Record<string, string> = {}): { path: string; url: string } {
  const path = h.path();
  const url = h.url(path);
  h.serve(path, documentFor(url), headers);
  return { path, url };
}

interface Revalidating {
  path: string;
  url: string;
  /** The conditional headers each request carried. */
  requests: { ifNoneMatch?: string; ifModifiedSince?: string }[];
  /** How many 200s (with a body) and 304s were sent. */
  sent: { full: number; notModified: number };
}

/** A host path that answers 304 when the request's validator matches, else 200 with `headers`. */
function revalidating(
  headers: Record<string, string>,
  notModifiedHeaders: Record<string, string> = {},
): Revalidating {
  const path = h.path();
  const url = h.url(path);
  const state: Revalidating = { path, url, requests: [], sent: { full: 0, notModified: 0 } };
  h.route(path, (req: IncomingMessage, res: ServerResponse) => {
    const ifNoneMatch = req.headers['if-none-match'];
    const ifModifiedSince = req.headers['if-modified-since'];
    state.requests.push({
      ...(ifNoneMatch === undefined ? {} : { ifNoneMatch }),
      ...(ifModifiedSince === undefined ? {} : { ifModifiedSince }),
    });
    const matches =
      (headers.etag !== undefined && ifNoneMatch === headers.etag) ||
      (headers['last-modified'] !== undefined && ifModifiedSince === headers['last-modified']);
    if (matches) {
      state.sent.notModified += 1;
      res.writeHead(304, notModifiedHeaders).end();
      return;
    }
    state.sent.full += 1;
    res
      .writeHead(200, { 'content-type': 'application/json', ...headers })
      .end(JSON.stringify(documentFor(url)));
  });
  return state;
}

/** Resolves a document served with `headers`: cached at 30 s, fetched again past the 60 s lower bound. */
async function expectRefetchAtLowerBound(headers: Record<string, string>): Promise<void> {
  const clock = createClock();
  const registry = h.registry({ now: clock.now });
  const { path, url } = served(headers);
  await registry.resolveClient(url);
  clock.advance(30_000);
  await registry.resolveClient(url);
  expect(h.hits(path)).toBe(1);
  clock.advance(31_000);
  await registry.resolveClient(url);
  expect(h.hits(path)).toBe(2);
}

describe('CIMD-AS-12 freshness from the response, clamped to bounds', () => {
  it('max-age within bounds: no refetch at t+30 s, a refetch after expiry', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now });
    const { path, url } = served({ 'cache-control': 'max-age=300' });
    const first = await registry.resolveClient(url);
    expect(first.provenance).toMatchObject({ source: 'cimd', fetchedAt: clock.start });
    expect(first.provenance.freshUntil).toBeCloseTo(clock.start + 300_000, -2);
    clock.advance(30_000);
    await registry.resolveClient(url);
    expect(h.hits(path)).toBe(1);
    clock.advance(240_000);
    await registry.resolveClient(url);
    expect(h.hits(path)).toBe(1);
    clock.advance(31_000);
    await registry.resolveClient(url);
    expect(h.hits(path)).toBe(2);
  });

  it('a max-age below the lower bound is raised to it (60 s by default)', async () => {
    await expectRefetchAtLowerBound({ 'cache-control': 'max-age=5' });
  });

  it('a year-long max-age is capped at the upper bound (24 h by default)', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now });
    const { path, url } = served({ 'cache-control': 'max-age=31536000' });
    const first = await registry.resolveClient(url);
    expect(first.provenance.freshUntil).toBe(clock.start + 24 * HOUR);
    clock.advance(23 * HOUR);
    await registry.resolveClient(url);
    expect(h.hits(path)).toBe(1);
    clock.advance(HOUR + 1000);
    await registry.resolveClient(url);
    expect(h.hits(path)).toBe(2);
  });

  it('configured bounds apply: { minTtlMs: 10 min, maxTtlMs: 1 h }', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now, cacheBounds: { minTtlMs: 10 * MINUTE, maxTtlMs: HOUR } });
    const short = served({ 'cache-control': 'max-age=60' });
    const long = served({ 'cache-control': 'max-age=86400' });
    await registry.resolveClient(short.url);
    await registry.resolveClient(long.url);
    clock.advance(9 * MINUTE);
    await registry.resolveClient(short.url);
    expect(h.hits(short.path)).toBe(1);
    clock.advance(MINUTE + 1000);
    await registry.resolveClient(short.url);
    expect(h.hits(short.path)).toBe(2);
    clock.advance(HOUR - 10 * MINUTE);
    await registry.resolveClient(long.url);
    expect(h.hits(long.path)).toBe(2);
  });

  it('Expires (relative to Date) sets the lifetime', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now });
    const path = h.path();
    const url = h.url(path);
    h.route(path, (_req, res) => {
      const date = new Date();
      res
        .writeHead(200, {
          'content-type': 'application/json',
          date: date.toUTCString(),
          expires: new Date(date.getTime() + 600_000).toUTCString(),
        })
        .end(JSON.stringify(documentFor(url)));
    });
    await registry.resolveClient(url);
    clock.advance(590_000);
    await registry.resolveClient(url);
    expect(h.hits(path)).toBe(1);
    clock.advance(12_000);
    await registry.resolveClient(url);
    expect(h.hits(path)).toBe(2);
  });

  it('no-store is revalidated at the lower bound', async () => {
    await expectRefetchAtLowerBound({ 'cache-control': 'no-store' });
  });

  it('no-cache is revalidated at the lower bound, conditionally when there is a validator', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now });
    const state = revalidating({ 'cache-control': 'no-cache', etag: '"nc1"' });
    await registry.resolveClient(state.url);
    clock.advance(30_000);
    await registry.resolveClient(state.url);
    expect(h.hits(state.path)).toBe(1);
    clock.advance(31_000);
    const again = await registry.resolveClient(state.url);
    expect(h.hits(state.path)).toBe(2);
    expect(state.requests[1]).toEqual({ ifNoneMatch: '"nc1"' });
    expect(state.sent).toEqual({ full: 1, notModified: 1 });
    expect(again.provenance.fetchedAt).toBe(clock.now());
  });
});

describe('revalidation with validators', () => {
  it('ETag: after expiry If-None-Match is sent and a 304 renews the copy without a body', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now });
    const state = revalidating({ 'cache-control': 'max-age=120', etag: '"v1"' });
    const first = await registry.resolveClient(state.url);
    expect(first.provenance.etag).toBe('"v1"');
    expect(state.requests[0]).toEqual({});
    clock.advance(121_000);
    const second = await registry.resolveClient(state.url);
    expect(h.hits(state.path)).toBe(2);
    expect(state.requests[1]).toEqual({ ifNoneMatch: '"v1"' });
    expect(state.sent).toEqual({ full: 1, notModified: 1 });
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.provenance.fetchedAt).toBe(clock.now());
    expect(second.provenance.freshUntil).toBeCloseTo(clock.now() + 120_000, -2);
    clock.advance(60_000);
    await registry.resolveClient(state.url);
    expect(h.hits(state.path)).toBe(2);
  });

  it('Last-Modified: after expiry If-Modified-Since is sent and a 304 renews the copy', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now });
    const lastModified = 'Sun, 22 Nov 2026 10:00:00 GMT';
    const state = revalidating({ 'cache-control': 'max-age=60', 'last-modified': lastModified });
    const first = await registry.resolveClient(state.url);
    expect(first.provenance.lastModified).toBe(lastModified);
    clock.advance(61_000);
    await registry.resolveClient(state.url);
    expect(state.requests[1]).toEqual({ ifModifiedSince: lastModified });
    expect(state.sent).toEqual({ full: 1, notModified: 1 });
  });

  it('ETag with the shared tier: a 304 writes the renewed copy back with its body', async () => {
    const clock = createClock();
    const store = h.store(clock);
    const registry = h.registry({ now: clock.now, store });
    const state = revalidating({ 'cache-control': 'max-age=120', etag: '"v1"' });
    await registry.resolveClient(state.url);
    clock.advance(121_000);
    await registry.resolveClient(state.url);
    expect(state.sent).toEqual({ full: 1, notModified: 1 });
    const shared = JSON.parse((await store.cacheGet(`cimd:doc:${state.url}`)) ?? 'null');
    expect(shared.fetchedAt).toBe(clock.now());
    expect(JSON.parse(shared.text)).toEqual(documentFor(state.url));
    const other = h.registry({ now: clock.now, store });
    expect((await other.resolveClient(state.url)).provenance.etag).toBe('"v1"');
    expect(h.hits(state.path)).toBe(2);
  });

  it('a 304 without freshness headers keeps the stored lifetime', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now });
    const state = revalidating({ 'cache-control': 'max-age=300', etag: '"keep"' });
    await registry.resolveClient(state.url);
    clock.advance(301_000);
    const renewed = await registry.resolveClient(state.url);
    expect(state.sent.notModified).toBe(1);
    expect(renewed.provenance.freshUntil).toBeCloseTo(clock.now() + 300_000, -2);
    clock.advance(299_000);
    await registry.resolveClient(state.url);
    expect(h.hits(state.path)).toBe(2);
    clock.advance(2000);
    await registry.resolveClient(state.url);
    expect(h.hits(state.path)).toBe(3);
  });

  it('a 304 with its own Cache-Control replaces the lifetime', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now });
    const state = revalidating(
      { 'cache-control': 'max-age=300', etag: '"r"' },
      { 'cache-control': 'max-age=900' },
    );
    await registry.resolveClient(state.url);
    clock.advance(301_000);
    const renewed = await registry.resolveClient(state.url);
    expect(renewed.provenance.freshUntil).toBeCloseTo(clock.now() + 900_000, -2);
  });

  it('a 304 when nothing is cached (an unconditional request) is refused and not cached', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now });
    const path = h.path();
    const url = h.url(path);
    h.route(path, (_req, res) => {
      res.writeHead(304, { etag: '"x"' }).end();
    });
    const error = await refusal(registry.resolveClient(url), 'ERR_CIMD_FETCH');
    expect(error.status).toBe(304);
    expect(error.message).toContain(`${url} answered 304`);
    await refusal(registry.resolveClient(url), 'ERR_CIMD_FETCH');
    expect(h.hits(path)).toBe(2);
  });

  it('a changed document (200 to a conditional request) replaces the copy', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now });
    const path = h.path();
    const url = h.url(path);
    let version = 1;
    h.route(path, (req, res) => {
      if (req.headers['if-none-match'] === `"v${version}"`) {
        res.writeHead(304).end();
        return;
      }
      const doc = documentFor(url, { redirect_uris: [`http://127.0.0.1/callback${version}`] });
      res
        .writeHead(200, {
          'content-type': 'application/json',
          etag: `"v${version}"`,
          'cache-control': 'max-age=60',
        })
        .end(JSON.stringify(doc));
    });
    const first = await registry.resolveClient(url);
    version = 2;
    clock.advance(61_000);
    const second = await registry.resolveClient(url);
    expect(second.redirectUris).toEqual(['http://127.0.0.1/callback2']);
    expect(second.fingerprint).not.toBe(first.fingerprint);
    expect(second.provenance.etag).toBe('"v2"');
  });
});

describe('CIMD-AS-13, -14: errors and invalid documents are never cached', () => {
  it('CIMD-AS-13: after a 500 the next resolution fetches again and, once fixed, succeeds', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now });
    const path = h.path();
    const url = h.url(path);
    h.serve(path, { error: 'boom' }, {}, 500);
    const error = await refusal(registry.resolveClient(url), 'ERR_CIMD_FETCH');
    expect(error.status).toBe(500);
    await refusal(registry.resolveClient(url), 'ERR_CIMD_FETCH');
    expect(h.hits(path)).toBe(2);
    h.serve(path, documentFor(url), { 'cache-control': 'max-age=600' });
    const client = await registry.resolveClient(url);
    expect(client.clientId).toBe(url);
    expect(h.hits(path)).toBe(3);
  });

  it('CIMD-AS-13: after a 503 the next resolution fetches again', async () => {
    const registry = h.registry({ now: createClock().now });
    const path = h.path();
    h.serve(path, {}, {}, 503);
    await refusal(registry.resolveClient(h.url(path)), 'ERR_CIMD_FETCH');
    await refusal(registry.resolveClient(h.url(path)), 'ERR_CIMD_FETCH');
    expect(h.hits(path)).toBe(2);
  });

  it('CIMD-AS-14: after an invalid document (client_id mismatch) the next resolution refetches and succeeds once fixed', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now });
    const path = h.path();
    const url = h.url(path);
    h.serve(path, documentFor(`${url}/`), { 'cache-control': 'max-age=600' });
    await refusal(registry.resolveClient(url), 'ERR_CIMD_CLIENT_ID_MISMATCH');
    await refusal(registry.resolveClient(url), 'ERR_CIMD_CLIENT_ID_MISMATCH');
    expect(h.hits(path)).toBe(2);
    h.serve(path, documentFor(url), { 'cache-control': 'max-age=600' });
    await registry.resolveClient(url);
    expect(h.hits(path)).toBe(3);
  });

  it('CIMD-AS-14: a document that turns invalid on refresh is refused and its old copy dropped', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now });
    const path = h.path();
    const url = h.url(path);
    h.serve(path, documentFor(url), { 'cache-control': 'max-age=60' });
    await registry.resolveClient(url);
    h.serve(path, documentFor(url, { client_secret: 'oops' }), { 'cache-control': 'max-age=60' });
    clock.advance(61_000);
    await refusal(registry.resolveClient(url), 'ERR_CIMD_INVALID_DOCUMENT');
    await refusal(registry.resolveClient(url), 'ERR_CIMD_INVALID_DOCUMENT');
    expect(h.hits(path)).toBe(3);
  });
});

describe('the two cache tiers', () => {
  it('a second registry on the same store resolves with zero fetches (shared tier)', async () => {
    const clock = createClock();
    const store = h.store(clock);
    const first = h.registry({ now: clock.now, store });
    const second = h.registry({ now: clock.now, store });
    const { path, url } = served({ 'cache-control': 'max-age=300', etag: '"s1"' });
    const a = await first.resolveClient(url);
    const b = await second.resolveClient(url);
    expect(h.hits(path)).toBe(1);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(b.provenance).toEqual(a.provenance);
    const raw = await store.cacheGet(`cimd:doc:${url}`);
    expect(JSON.parse(raw ?? '{}')).toMatchObject({
      v: 1,
      url,
      fetchedAt: clock.start,
      headers: { etag: '"s1"' },
    });
  });

  it('a registry picks up a copy another instance revalidated', async () => {
    const clock = createClock();
    const store = h.store(clock);
    const first = h.registry({ now: clock.now, store });
    const second = h.registry({ now: clock.now, store });
    const state = revalidating({ 'cache-control': 'max-age=60', etag: '"sh"' });
    await first.resolveClient(state.url);
    await second.resolveClient(state.url);
    clock.advance(61_000);
    await first.resolveClient(state.url);
    await second.resolveClient(state.url);
    expect(state.sent).toEqual({ full: 1, notModified: 1 });
  });

  it('a tampered shared entry is validated again and ignored when invalid', async () => {
    const clock = createClock();
    const store = h.store(clock);
    const registry = h.registry({ now: clock.now, store });
    const { path, url } = served({ 'cache-control': 'max-age=300' });
    const forged = documentFor(url, { client_secret: 'x' });
    await store.cacheSet(
      `cimd:doc:${url}`,
      JSON.stringify({
        v: 1,
        url,
        text: JSON.stringify(forged),
        byteLength: 200,
        headers: {},
        fetchedAt: clock.now(),
        freshUntil: clock.now() + 300_000,
      }),
      300_000,
    );
    const client = await registry.resolveClient(url);
    expect(client.metadata).not.toHaveProperty('client_secret');
    expect(h.hits(path)).toBe(1);
  });

  it('cache.shared: false keeps documents out of the store', async () => {
    const clock = createClock();
    const store = h.store(clock);
    const registry = h.registry({ now: clock.now, store, cache: { shared: false } });
    const { url } = served();
    await registry.resolveClient(url);
    expect(await store.cacheGet(`cimd:doc:${url}`)).toBeUndefined();
  });

  it('the in-process LRU evicts beyond maxEntries', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now, cache: { maxEntries: 2 } });
    const docs = [served(), served(), served()];
    for (const doc of docs) await registry.resolveClient(doc.url);
    await registry.resolveClient(docs[2]!.url);
    await registry.resolveClient(docs[1]!.url);
    expect(h.hits(docs[1]!.path)).toBe(1);
    await registry.resolveClient(docs[0]!.url);
    expect(h.hits(docs[0]!.path)).toBe(2);
  });

  it('the in-process LRU evicts beyond maxBytes', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now, cache: { maxBytes: 16 * 1024 } });
    const big = () => {
      const path = h.path();
      const url = h.url(path);
      h.serve(path, documentFor(url, { x_padding: 'p'.repeat(3000) }));
      return { path, url };
    };
    const a = big();
    const b = big();
    await registry.resolveClient(a.url);
    await registry.resolveClient(a.url);
    expect(h.hits(a.path)).toBe(1);
    await registry.resolveClient(b.url);
    await registry.resolveClient(a.url);
    expect(h.hits(a.path)).toBe(2);
  });

  it('invalidate forgets a document in both tiers', async () => {
    const clock = createClock();
    const store = h.store(clock);
    const registry = h.registry({ now: clock.now, store });
    const { path, url } = served({ 'cache-control': 'max-age=600' });
    await registry.resolveClient(url);
    await registry.invalidate(url);
    expect(await store.cacheGet(`cimd:doc:${url}`)).toBeUndefined();
    await registry.resolveClient(url);
    expect(h.hits(path)).toBe(2);
  });
});
