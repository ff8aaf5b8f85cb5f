/**
 * One fetch in flight per URL, and the per-origin fetch budget (rate and concurrency), against a
 * real HTTPS host on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toOAuthError } from '../../../src/server/oauth-errors.js';
import { createClock, documentFor, type Harness, refusal, startHarness } from './fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

/** Serves a document at a fresh path whose answer waits for `gate`. */
function gated(gate: Promise<void>): { path: string; url: string } {
  const path = h.path();
  const url = h.url(path);
  h.route(path, async (_req, res) => {
    await gate;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(documentFor(url)));
  });
  return { path, url };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

describe('one fetch in flight per URL', () => {
  it('500 concurrent cold resolutions make exactly one request', async () => {
    const registry = h.registry({ now: createClock().now });
    let open!: () => void;
    const { path, url } = gated(
      new Promise<void>((resolve) => {
        open = resolve;
      }),
    );
    const all = Promise.all(Array.from({ length: 500 }, () => registry.resolveClient(url)));
    await until(() => h.hits(path) === 1);
    open();
    const clients = await all;
    expect(h.hits(path)).toBe(1);
    expect(new Set(clients.map((client) => client.fingerprint)).size).toBe(1);
    expect(clients.every((client) => client.clientId === url)).toBe(true);
  });

  it('500 concurrent cold resolutions of a failing document make one request and all fail', async () => {
    const registry = h.registry({ now: createClock().now });
    const path = h.path();
    h.serve(path, {}, {}, 500);
    const results = await Promise.allSettled(
      Array.from({ length: 500 }, () => registry.resolveClient(h.url(path))),
    );
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    expect(h.hits(path)).toBe(1);
  });

  it('coalesced waiters do not consume the budget', async () => {
    const registry = h.registry({
      now: createClock().now,
      fetchBudget: { requestsPerMinute: 1, maxConcurrent: 1 },
    });
    const path = h.path();
    h.serve(path, documentFor(h.url(path)));
    const clients = await Promise.all(Array.from({ length: 50 }, () => registry.resolveClient(h.url(path))));
    expect(clients).toHaveLength(50);
    expect(h.hits(path)).toBe(1);
  });
});

describe('one fetch per URL across instances sharing a store', () => {
  it('three registries on one store, 300 concurrent cold resolutions: exactly one request', async () => {
    const clock = createClock();
    const store = h.store(clock);
    const registries = [1, 2, 3].map(() => h.registry({ now: clock.now, store }));
    let open!: () => void;
    const { path, url } = gated(
      new Promise<void>((resolve) => {
        open = resolve;
      }),
    );
    const all = Promise.all(Array.from({ length: 300 }, (_, i) => registries[i % 3]!.resolveClient(url)));
    await until(() => h.hits(path) === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    open();
    const clients = await all;
    expect(h.hits(path)).toBe(1);
    expect(new Set(clients.map((client) => client.fingerprint)).size).toBe(1);
    expect(await store.acquireLock(`fetch:${url}`, 'probe', 1_000)).toBe(true);
    await store.close();
  });

  it('an instance that claims the fetch after a peer fetched, cached and released uses the peer copy', async () => {
    const clock = createClock();
    const store = h.store(clock);
    const path = h.path();
    const url = h.url(path);
    h.serve(path, documentFor(url));
    // The second instance's store holds its claim back until the first instance has fetched the
    // document, stored it and let the lock go: the race between a cache miss and a claim.
    let peerDone!: () => void;
    const peerFinished = new Promise<void>((resolve) => {
      peerDone = resolve;
    });
    let claiming!: () => void;
    const claimAttempted = new Promise<void>((resolve) => {
      claiming = resolve;
    });
    const late = new Proxy(store, {
      get(target, name, receiver) {
        if (name !== 'acquireLock') return Reflect.get(target, name, receiver);
        return async (...args: Parameters<typeof store.acquireLock>) => {
          claiming();
          await peerFinished;
          return target.acquireLock(...args);
        };
      },
    });
    const first = h.registry({ now: clock.now, store });
    const second = h.registry({ now: clock.now, store: late });
    const waiting = second.resolveClient(url);
    await claimAttempted; // its cache lookup missed
    await first.resolveClient(url);
    peerDone();
    expect((await waiting).clientId).toBe(url);
    expect(h.hits(path)).toBe(1);
    await store.close();
  });

  it('a claim whose second look at the shared cache fails is released, not held until it expires', async () => {
    const clock = createClock();
    const store = h.store(clock);
    const path = h.path();
    const url = h.url(path);
    h.serve(path, documentFor(url));
    let claimed = false;
    const failingAfterClaim = new Proxy(store, {
      get(target, name, receiver) {
        if (name === 'acquireLock') {
          return async (...args: Parameters<typeof store.acquireLock>) => {
            claimed = await target.acquireLock(...args);
            return claimed;
          };
        }
        if (name === 'cacheGet') {
          return async (key: string) => {
            if (claimed) throw new Error('store down');
            return target.cacheGet(key);
          };
        }
        return Reflect.get(target, name, receiver);
      },
    });
    const registry = h.registry({
      now: clock.now,
      store: failingAfterClaim,
      // An error listener that throws makes the look after the claim fail.
      onStoreError: (error) => {
        throw error;
      },
    });
    await expect(registry.resolveClient(url)).rejects.toThrow('store down');
    expect(await store.acquireLock(`fetch:${url}`, 'probe', 1_000)).toBe(true);
    await store.close();
  });

  it('an instance whose peer holds the fetch lock too long fetches itself after the wait', async () => {
    const clock = createClock();
    const store = h.store(clock);
    const path = h.path();
    const url = h.url(path);
    h.serve(path, documentFor(url));
    expect(await store.acquireLock(`fetch:${url}`, 'a-crashed-instance', 60_000)).toBe(true);
    const registry = h.registry({ now: clock.now, store, sharedFetchWaitMs: 100 });
    const client = await registry.resolveClient(url);
    expect(client.clientId).toBe(url);
    expect(h.hits(path)).toBe(1);
    await store.close();
  });
});

describe('the per-origin fetch budget', () => {
  it('over the rate (requests per minute) → ERR_CIMD_FETCH_BUDGET at once, temporarily_unavailable', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now, fetchBudget: { requestsPerMinute: 3 } });
    const paths = Array.from({ length: 4 }, () => h.path());
    for (const path of paths) h.serve(path, documentFor(h.url(path)));
    for (const path of paths.slice(0, 3)) await registry.resolveClient(h.url(path));
    const last = paths[3]!;
    const error = await refusal(registry.resolveClient(h.url(last)), 'ERR_CIMD_FETCH_BUDGET');
    expect(h.hits(last)).toBe(0);
    expect(error.retryAfterMs).toBe(60_000);
    expect(error.message).toContain('try again in 60 s');
    const wire = toOAuthError(error);
    expect(wire.error).toBe('temporarily_unavailable');
    expect(wire.status).toBe(503);
    clock.advance(30_000);
    await refusal(registry.resolveClient(h.url(last)), 'ERR_CIMD_FETCH_BUDGET');
    clock.advance(30_001);
    await registry.resolveClient(h.url(last));
    expect(h.hits(last)).toBe(1);
  });

  it('over the concurrency → ERR_CIMD_FETCH_BUDGET at once, never queued', async () => {
    const registry = h.registry({ now: createClock().now, fetchBudget: { maxConcurrent: 2 } });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const a = gated(gate);
    const b = gated(gate);
    const c = gated(gate);
    const pending = [registry.resolveClient(a.url), registry.resolveClient(b.url)];
    await until(() => h.hits(a.path) + h.hits(b.path) >= 1);
    const error = await refusal(registry.resolveClient(c.url), 'ERR_CIMD_FETCH_BUDGET');
    expect(error.message).toContain('in progress');
    expect(h.hits(c.path)).toBe(0);
    open();
    await Promise.all(pending);
    await registry.resolveClient(c.url);
    expect(h.hits(c.path)).toBe(1);
  });

  it('the budget is per origin: another origin is unaffected', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now, fetchBudget: { requestsPerMinute: 1 } });
    const first = h.path();
    const second = h.path();
    h.serve(first, documentFor(h.url(first)));
    h.serve(second, documentFor(`${h.host.ipOrigin}${second}`));
    await registry.resolveClient(h.url(first));
    await refusal(registry.resolveClient(h.url(second)), 'ERR_CIMD_FETCH_BUDGET');
    await registry.resolveClient(`${h.host.ipOrigin}${second}`);
    expect(h.hits(second)).toBe(1);
  });

  it('options are validated', () => {
    expect(() => h.registry({ fetchBudget: { requestsPerMinute: 0 } })).toThrow(/requestsPerMinute/);
    expect(() => h.registry({ fetchBudget: { maxConcurrent: 1.5 } })).toThrow(/maxConcurrent/);
  });
});
