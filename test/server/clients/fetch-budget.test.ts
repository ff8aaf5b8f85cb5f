/** The per-origin fetch budget on its own, on an injected clock. */
import { describe, expect, it } from 'vitest';
import { createFetchBudget } from '../../../src/server/clients/fetch-budget.js';
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
