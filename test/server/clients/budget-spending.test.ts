/**
 * Issue 9, flaw 7: the per-origin fetch budget is spent only on fetches that could succeed.
 * Requests for made-up or broken paths on a legitimate host, against a real HTTPS host on
 * loopback, must not lock out that host's real clients. Errors are still never cached
 * (CIMD-AS-13, CIMD-AS-14): a failed URL is only charged to a smaller budget when asked again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock, documentFor, type Harness, refusal, startHarness } from './fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

/** Serves a valid document at a fresh path; returns its URL. */
function validClient(): string {
  const path = h.path();
  h.serve(path, documentFor(h.url(path)));
  return h.url(path);
}

describe('issue 9 flaw 7: the per-origin budget can be used up by random paths on a legitimate host', () => {
  it('random 404 paths spend only the failure window: a known client keeps revalidating', async () => {
    const clock = createClock();
    const registry = h.registry({
      now: clock.now,
      cacheBounds: { minTtlMs: 1_000, maxTtlMs: 1_000 },
      fetchBudget: { requestsPerMinute: 4, failuresPerMinute: 4 },
    });
    const known = validClient();
    await registry.resolveClient(known);

    const random = Array.from({ length: 20 }, () => h.path('random.json'));
    const codes: string[] = [];
    for (const path of random) codes.push((await refusal(registry.resolveClient(h.url(path)))).code);
    expect(codes.slice(0, 4)).toEqual(Array(4).fill('ERR_CIMD_FETCH'));
    expect(codes.slice(4)).toEqual(Array(16).fill('ERR_CIMD_FETCH_BUDGET'));
    expect(random.reduce((sum, path) => sum + h.hits(path), 0)).toBe(4);

    // Within the same minute, the known client's copy goes stale twice and is fetched again.
    for (let i = 0; i < 2; i += 1) {
      clock.advance(1_001);
      const client = await registry.resolveClient(known);
      expect(client.provenance.fetchedAt).toBe(clock.now());
    }
    // What remains: a client never seen before on this host waits for the failure window.
    const fresh = validClient();
    const waiting = await refusal(registry.resolveClient(fresh), 'ERR_CIMD_FETCH_BUDGET');
    expect(waiting.message).toMatch(/failed in the last minute/);
    clock.advance(60_000);
    expect((await registry.resolveClient(fresh)).clientId).toBe(fresh);
  });

  it('a URL known bad, asked for again and again, uses only half the failure window; a new client still signs in', async () => {
    const clock = createClock();
    const registry = h.registry({
      now: clock.now,
      fetchBudget: { requestsPerMinute: 60, failuresPerMinute: 4 },
    });
    const path = h.path();
    h.serve(path, documentFor('https://elsewhere.example/client.json'));
    const bad = h.url(path);
    const codes: string[] = [];
    for (let i = 0; i < 10; i += 1) codes.push((await refusal(registry.resolveClient(bad))).code);
    expect(codes.slice(0, 2)).toEqual(['ERR_CIMD_CLIENT_ID_MISMATCH', 'ERR_CIMD_CLIENT_ID_MISMATCH']);
    const refused = await refusal(registry.resolveClient(bad), 'ERR_CIMD_FETCH_BUDGET');
    expect(refused.message).toMatch(/its last fetch failed/);
    expect(h.hits(path)).toBe(2);

    const fresh = validClient();
    expect((await registry.resolveClient(fresh)).clientId).toBe(fresh);
  });

  it('CIMD-AS-14 still holds: a fixed document is fetched at the next attempt, never answered from memory', async () => {
    const clock = createClock();
    const registry = h.registry({ now: clock.now });
    const path = h.path();
    const url = h.url(path);
    h.serve(path, {}, {}, 404);
    await refusal(registry.resolveClient(url), 'ERR_CIMD_FETCH');
    h.serve(path, documentFor(url));
    expect((await registry.resolveClient(url)).clientId).toBe(url);
    expect(h.hits(path)).toBe(2);
  });
});
