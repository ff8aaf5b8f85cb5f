/** The in-memory rate-limit counter: fixed windows, exact counts under concurrency, bounded keys. */
import { describe, expect, it } from 'vitest';
import { isCimdError } from '../../../src/errors.js';
import { createMemoryRateLimitCounter } from '../../../src/store/index.js';
import { TestClock } from '../clock.js';

const MINUTE = 60_000;

describe('createMemoryRateLimitCounter', () => {
  it('counts hits per key in fixed windows, starting again when the window ends', async () => {
    const clock = new TestClock();
    const counter = createMemoryRateLimitCounter({ now: clock.now });
    const start = clock.now();
    expect(await counter.hit('a', MINUTE)).toEqual({ count: 1, resetAt: start + MINUTE });
    clock.advance(30_000);
    expect(await counter.hit('a', MINUTE)).toEqual({ count: 2, resetAt: start + MINUTE });
    expect(await counter.hit('b', MINUTE)).toEqual({ count: 1, resetAt: start + 30_000 + MINUTE });
    clock.advance(30_000);
    expect(await counter.hit('a', MINUTE)).toEqual({ count: 1, resetAt: start + 2 * MINUTE });
    await counter.close();
  });

  it('gives N concurrent hits on one key the counts 1..N', async () => {
    const counter = createMemoryRateLimitCounter();
    const windows = await Promise.all(Array.from({ length: 200 }, () => counter.hit('k', MINUTE)));
    expect(windows.map((window) => window.count).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 200 }, (_, index) => index + 1),
    );
    await counter.close();
  });

  it('keeps at most maxKeys keys, forgetting the least recently hit first', async () => {
    const counter = createMemoryRateLimitCounter({ maxKeys: 2 });
    await counter.hit('a', MINUTE);
    await counter.hit('b', MINUTE);
    await counter.hit('a', MINUTE); // a is now the most recent
    await counter.hit('c', MINUTE); // b goes
    expect((await counter.hit('a', MINUTE)).count).toBe(3);
    expect((await counter.hit('b', MINUTE)).count).toBe(1); // forgotten: a new window (c goes)
    expect((await counter.hit('a', MINUTE)).count).toBe(4);
    await counter.close();
  });

  it.each([{ maxKeys: 0 }, { maxKeys: 1.5 }, { maxKeys: -3 }])('refuses %o', (options) => {
    let error: unknown;
    try {
      createMemoryRateLimitCounter(options);
    } catch (caught) {
      error = caught;
    }
    expect(isCimdError(error, 'ERR_INVALID_OPTION')).toBe(true);
  });

  it('refuses a window that is not a positive whole number of ms', async () => {
    const counter = createMemoryRateLimitCounter();
    await expect(counter.hit('a', 0)).rejects.toThrow(/windowMs/);
    await counter.close();
  });
});
