/** The per-origin fetch budget on its own, on an injected clock. */
import { describe, expect, it } from 'vitest';
import {
  createFetchBudget,
  DEFAULT_FETCH_BUDGET,
  type FetchOutcome,
  type FetchPurpose,
  SWEEP_STEP,
} from '../../../src/server/clients/fetch-budget.js';
import { createClock } from './fixtures.js';

describe('createFetchBudget', () => {
  it('allows requestsPerMinute in any sliding minute, then says when to retry', () => {
    const clock = createClock();
    const budget = createFetchBudget({ requestsPerMinute: 2, maxConcurrent: 10 }, clock.now);
    const first = budget.acquire('https://a.example');
    clock.advance(20_000);
    const second = budget.acquire('https://a.example');
    expect(first.ok && second.ok).toBe(true);
    if (first.ok) first.release();
    if (second.ok) second.release();
    expect(budget.acquire('https://a.example')).toEqual({ ok: false, limit: 'rate', retryAfterMs: 40_000 });
    clock.advance(40_000);
    expect(budget.acquire('https://a.example').ok).toBe(true);
  });

  it('allows maxConcurrent at once; a release frees a slot; release is idempotent', () => {
    const budget = createFetchBudget({ requestsPerMinute: 100, maxConcurrent: 2 }, createClock().now);
    const a = budget.acquire('https://a.example');
    const b = budget.acquire('https://a.example');
    expect(budget.acquire('https://a.example')).toMatchObject({ ok: false, limit: 'concurrency' });
    expect(budget.acquire('https://b.example').ok).toBe(true);
    if (a.ok) {
      a.release();
      a.release();
    }
    expect(budget.acquire('https://a.example').ok).toBe(true);
    expect(budget.acquire('https://a.example').ok).toBe(false);
    expect(b.ok).toBe(true);
  });

  it('keeps a separate budget for each of many origins, past the sweep threshold', () => {
    const clock = createClock();
    const budget = createFetchBudget({ requestsPerMinute: 1 }, clock.now);
    for (let i = 0; i < 2000; i += 1) {
      const grant = budget.acquire(`https://h${i}.example`);
      expect(grant.ok).toBe(true);
      if (grant.ok) grant.release();
    }
    expect(budget.acquire('https://h1999.example').ok).toBe(false);
    clock.advance(61_000);
    expect(budget.acquire('https://h0.example').ok).toBe(true);
    expect(budget.acquire('https://h1999.example').ok).toBe(true);
  });
});

/** Acquires and releases at once (a fetch that settled with `outcome`); true when admitted. */
function fetchOnce(
  budget: ReturnType<typeof createFetchBudget>,
  origin: string,
  purpose?: FetchPurpose,
  outcome?: FetchOutcome,
): boolean {
  const grant = budget.acquire(origin, purpose);
  if (grant.ok) grant.release(outcome);
  return grant.ok;
}

describe('issue 9 flaw 5: CPU cost grows with the number of distinct hosts', () => {
  it('with 50,000 distinct origins, no acquire looks at more than SWEEP_STEP tracked origins', () => {
    const clock = createClock();
    let most = 0;
    let total = 0;
    const budget = createFetchBudget({}, clock.now, {
      visited: (entries) => {
        most = Math.max(most, entries);
        total += entries;
      },
    });
    const acquires = 50_000;
    let admitted = 0;
    for (let i = 0; i < acquires; i += 1) {
      if (fetchOnce(budget, `https://h${i}.example`)) admitted += 1;
      if (i % 100 === 0) clock.advance(100);
    }
    expect(admitted).toBe(acquires);
    expect(most).toBeLessThanOrEqual(SWEEP_STEP);
    expect(total).toBeLessThanOrEqual(SWEEP_STEP * acquires);
    // Memory: capped at maxOrigins however many hosts were asked for.
    expect(budget.size).toBe(DEFAULT_FETCH_BUDGET.maxOrigins);
  });

  it('the tracked-origin table is capped at maxOrigins, and idle origins are swept a few per acquire', () => {
    const clock = createClock();
    const budget = createFetchBudget({ maxOrigins: 1000 }, clock.now);
    for (let i = 0; i < 5000; i += 1) fetchOnce(budget, `https://h${i}.example`);
    expect(budget.size).toBe(1000);
    clock.advance(61_000);
    // Every origin is idle now: each acquire drops up to SWEEP_STEP of them.
    for (let i = 0; i < 400; i += 1) fetchOnce(budget, 'https://busy.example');
    expect(budget.size).toBeLessThanOrEqual(1000 - 400 * (SWEEP_STEP - 1) + 1);
    for (let i = 0; i < 1000; i += 1) fetchOnce(budget, 'https://busy.example');
    expect(budget.size).toBe(1);
  });

  it('an origin that keeps being asked for keeps its budget through a flood of distinct origins', () => {
    const clock = createClock();
    const budget = createFetchBudget({ requestsPerMinute: 2, maxOrigins: 100 }, clock.now);
    const victim = 'https://victim.example';
    expect(fetchOnce(budget, victim) && fetchOnce(budget, victim)).toBe(true);
    for (let i = 0; i < 10_000; i += 1) {
      fetchOnce(budget, `https://flood${i}.example`);
      // The victim is asked for (and refused) every 50 flood origins: it stays young in the table.
      if (i % 50 === 0) expect(budget.acquire(victim)).toMatchObject({ ok: false, limit: 'rate' });
    }
    expect(budget.size).toBe(100);
  });

  it('trade-off: an origin not asked for while maxOrigins others were is forgotten, and its budget starts afresh', () => {
    const clock = createClock();
    const budget = createFetchBudget({ requestsPerMinute: 1, maxOrigins: 100 }, clock.now);
    expect(fetchOnce(budget, 'https://quiet.example')).toBe(true);
    expect(fetchOnce(budget, 'https://quiet.example')).toBe(false);
    for (let i = 0; i < 99; i += 1) fetchOnce(budget, `https://other${i}.example`);
    expect(fetchOnce(budget, 'https://quiet.example')).toBe(false);
    for (let i = 0; i < 100; i += 1) fetchOnce(budget, `https://more${i}.example`);
    expect(fetchOnce(budget, 'https://quiet.example')).toBe(true);
  });

  it('maxOrigins is a whole number of at least 16', () => {
    expect(() => createFetchBudget({ maxOrigins: 15 }, Date.now)).toThrow(/maxOrigins.*at least 16/);
    expect(() => createFetchBudget({ maxOrigins: 16.5 }, Date.now)).toThrow(/maxOrigins/);
    expect(() => createFetchBudget({ failuresPerMinute: 0 }, Date.now)).toThrow(/failuresPerMinute/);
  });
});

describe('issue 9 flaw 7: the per-origin budget is spent only on fetches that could succeed', () => {
  it('failed first fetches give their slot back: random paths never spend requestsPerMinute', () => {
    const clock = createClock();
    const budget = createFetchBudget({ requestsPerMinute: 3, failuresPerMinute: 5 }, clock.now);
    const origin = 'https://legit.example';
    for (let i = 0; i < 5; i += 1) expect(fetchOnce(budget, origin, 'discover', 'failure')).toBe(true);
    // The failure window is full: more unproven URLs are refused...
    expect(budget.acquire(origin, 'discover')).toMatchObject({ ok: false, limit: 'failures' });
    expect(budget.acquire(origin, 'retry')).toMatchObject({ ok: false, limit: 'failures' });
    // ...but URLs that served an accepted document before keep the whole requestsPerMinute.
    for (let i = 0; i < 3; i += 1) expect(fetchOnce(budget, origin, 'revalidate', 'success')).toBe(true);
    expect(budget.acquire(origin, 'revalidate')).toMatchObject({ ok: false, limit: 'rate' });
    clock.advance(60_001);
    expect(fetchOnce(budget, origin, 'discover', 'success')).toBe(true);
  });

  it('URLs already known bad may use only the first half of the failure window; new URLs keep the rest', () => {
    const clock = createClock();
    const budget = createFetchBudget({ requestsPerMinute: 60, failuresPerMinute: 6 }, clock.now);
    const origin = 'https://legit.example';
    for (let i = 0; i < 3; i += 1) expect(fetchOnce(budget, origin, 'retry', 'failure')).toBe(true);
    const refused = budget.acquire(origin, 'retry');
    expect(refused).toMatchObject({ ok: false, limit: 'failures' });
    if (!refused.ok) expect(refused.retryAfterMs).toBe(60_000);
    for (let i = 0; i < 3; i += 1) expect(fetchOnce(budget, origin, 'discover', 'failure')).toBe(true);
    expect(budget.acquire(origin, 'discover')).toMatchObject({ ok: false, limit: 'failures' });
  });

  it('unproven fetches in flight count against the failure window until they settle', () => {
    const budget = createFetchBudget({ failuresPerMinute: 2, maxConcurrent: 10 }, createClock().now);
    const origin = 'https://legit.example';
    const first = budget.acquire(origin, 'discover');
    const second = budget.acquire(origin, 'discover');
    expect(budget.acquire(origin, 'discover')).toMatchObject({ ok: false, limit: 'failures' });
    if (first.ok) first.release('success');
    if (second.ok) second.release('success');
    expect(fetchOnce(budget, origin, 'discover')).toBe(true);
  });

  it('a failed revalidation keeps its slot: a host that is down is asked no more often', () => {
    const budget = createFetchBudget({ requestsPerMinute: 2 }, createClock().now);
    const origin = 'https://down.example';
    expect(fetchOnce(budget, origin, 'revalidate', 'failure')).toBe(true);
    expect(fetchOnce(budget, origin, 'revalidate', 'failure')).toBe(true);
    expect(budget.acquire(origin, 'revalidate')).toMatchObject({ ok: false, limit: 'rate' });
  });
});
