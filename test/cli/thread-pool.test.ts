/**
 * The `cimd` executable sizes libuv's thread pool for the machine (`src/cli/thread-pool.cts`,
 * `src/cli/cimd.cts`): the rule itself, that a CommonJS entry sets it early enough to take effect
 * (proved with pool threads held in blocking FIFO opens, not with timings), and that `cimd serve`
 * started through the executable reports the size in its `listening` line.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltBin } from '../helpers/run-cli.js';
import { spawnNode } from '../serve/process.js';
import { cleanEnv, freePort, killAll, serve } from '../serve/served.js';

interface ThreadPoolSizing {
  threadPoolSizeFor(cores: number): number;
  sizeThreadPool(env: Record<string, string | undefined>, cores: number): string;
}

const SIZING_MODULE = fileURLToPath(new URL('../../dist/cli/thread-pool.cjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cimd-thread-pool-test-'));
let sizing: ThreadPoolSizing;

beforeAll(() => {
  requireBuiltBin();
  sizing = createRequire(import.meta.url)(SIZING_MODULE) as ThreadPoolSizing;
});
afterEach(() => killAll());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the thread pool size of the cimd executable', () => {
  it('is one thread per core, at least 2 and at most 4 (Node default)', () => {
    expect([1, 2, 3, 4, 8, 64].map((cores) => sizing.threadPoolSizeFor(cores))).toEqual([2, 2, 3, 4, 4, 4]);
    expect(sizing.threadPoolSizeFor(2.5)).toBe(2);
  });

  it('falls back to Node default for a core count that is not a positive number', () => {
    for (const cores of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(sizing.threadPoolSizeFor(cores)).toBe(4);
    }
  });

  it('sets UV_THREADPOOL_SIZE only when the operator has not', () => {
    const unset: Record<string, string | undefined> = {};
    expect(sizing.sizeThreadPool(unset, 2)).toBe('2');
    expect(unset.UV_THREADPOOL_SIZE).toBe('2');
    const empty: Record<string, string | undefined> = { UV_THREADPOOL_SIZE: '' };
    expect(sizing.sizeThreadPool(empty, 3)).toBe('3');
    expect(empty.UV_THREADPOOL_SIZE).toBe('3');
    const chosen: Record<string, string | undefined> = { UV_THREADPOOL_SIZE: '16' };
    expect(sizing.sizeThreadPool(chosen, 2)).toBe('16');
    expect(chosen.UV_THREADPOOL_SIZE).toBe('16');
  });

  it('takes effect when set from a CommonJS entry before anything uses the pool', async () => {
    // Two pool threads are held in blocking opens of FIFOs; a third job (randomBytes) can only
    // finish once one is released when the pool has exactly 2 threads.
    const fifos = [join(dir, 'fifo-a'), join(dir, 'fifo-b')];
    execFileSync('mkfifo', fifos);
    const probe = join(dir, 'probe.cjs');
    writeFileSync(
      probe,
      `const { sizeThreadPool } = require(${JSON.stringify(SIZING_MODULE)});
const size = sizeThreadPool(process.env, Number(process.argv[2]));
const fs = require('node:fs');
const crypto = require('node:crypto');
const fifos = ${JSON.stringify(fifos)};
for (const fifo of fifos) fs.open(fifo, 'r', (error, fd) => { if (!error) fs.closeSync(fd); });
let timer;
function release(first) {
  if (timer === undefined) return;
  clearTimeout(timer);
  timer = undefined;
  process.stdout.write(JSON.stringify({ size, first }));
  for (const fifo of fifos) fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
}
timer = setTimeout(() => release('timeout'), 1000);
crypto.randomBytes(16, () => release('random'));
`,
    );
    const run = async (env: Record<string, string>) => {
      const spawned = spawnNode(probe, ['2'], { env: { ...cleanEnv(), ...env } });
      expect(await spawned.exited).toBe(0);
      return JSON.parse(spawned.stdout()) as { size: string; first: string };
    };
    // Sized to 2 by the entry: both threads are held, so the third job waits for the release.
    expect(await run({})).toEqual({ size: '2', first: 'timeout' });
    // The operator's 3 wins, and the third thread runs the job at once.
    expect(await run({ UV_THREADPOOL_SIZE: '3' })).toEqual({ size: '3', first: 'random' });
  });

  it('is what cimd serve reports in its listening line, or the operator value', async () => {
    const expected = String(sizing.threadPoolSizeFor(availableParallelism()));
    const args = ['--store', 'memory', '--resource', 'http://127.0.0.1:4001/mcp'];
    const sized = await serve(['--port', String(await freePort()), ...args], { cwd: dir });
    expect(sized.listening.threadPoolSize).toBe(expected);
    await sized.stop();
    const chosen = await serve(['--port', String(await freePort()), ...args], {
      cwd: dir,
      env: { UV_THREADPOOL_SIZE: '5' },
    });
    expect(chosen.listening.threadPoolSize).toBe('5');
    await chosen.stop();
  });
});
