/**
 * The long fuzzing run, `npm run fuzz` (issue 9): the property of endpoints.test.ts for
 * `CIMD_FUZZ_RUNS` requests (default 100,000) with the seed `CIMD_FUZZ_SEED` (default: random,
 * printed), counting on past failures instead of stopping at the first. It prints the report
 * (status counts, 5xx, crashes, requests per second, heap after GC at checkpoints, the first
 * failing requests shrunk) and writes it to `test-results/fuzz-report.{txt,json}`; it fails on
 * any finding.
 *
 * Run through scripts/fuzz.mjs, which picks the seed and starts vitest with
 * test/security/fuzz/vitest.config.ts (this file is not part of `npm test`).
 */
import { randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { type FuzzReport, formatReport, heapAfterGc, newStats, runFuzz, show, shrinkRun } from './run.js';
import { startWorld } from './world.js';

const RUNS = Number(process.env.CIMD_FUZZ_RUNS ?? 100_000);
const SEED = process.env.CIMD_FUZZ_SEED ? Number(process.env.CIMD_FUZZ_SEED) : randomInt(2 ** 31 - 1);
const PROGRESS_EVERY = Number(process.env.CIMD_FUZZ_PROGRESS ?? 10_000);
/** How many failing runs are replayed and shrunk for the report. */
const SHRINK = 3;

it(`fuzz: ${RUNS} requests, seed ${SEED}`, async () => {
  console.log(`fuzzing every endpoint: ${RUNS} requests, seed ${SEED}`);
  const world = await startWorld();
  try {
    const heap = [{ requests: 0, bytes: heapAfterGc() }];
    const stats = newStats();
    await runFuzz(
      world,
      {
        seed: SEED,
        numRuns: RUNS,
        strict: false,
        replenishEvery: 5_000,
        progressEvery: PROGRESS_EVERY,
        onProgress: (current) => {
          const bytes = heapAfterGc();
          heap.push({ requests: current.requests, bytes });
          const rate = current.requests / (current.elapsedMs / 1000);
          console.log(
            `  ${current.requests} requests, ${rate.toFixed(0)}/s, ${current.failedRequests} failing, heap ${(bytes / 1_048_576).toFixed(1)} MB`,
          );
        },
      },
      stats,
    );
    if (heap.at(-1)?.requests !== stats.requests)
      heap.push({ requests: stats.requests, bytes: heapAfterGc() });
    const shrunk: FuzzReport['shrunk'] = [];
    for (const example of stats.examples.slice(0, SHRINK)) {
      const result = await shrinkRun(world, SEED, example.run);
      if (result !== undefined) {
        shrunk.push({
          run: example.run,
          path: result.path,
          findings: result.findings,
          request: show(result.request),
        });
      }
    }
    const report: FuzzReport = {
      seed: SEED,
      numRuns: RUNS,
      stats,
      heap,
      shrunk,
      errorLogLines: world.logs.byLevel.error ?? 0,
      ok: stats.failedRequests === 0 && stats.unhandled.length === 0 && stats.unsendable === 0,
    };
    const text = formatReport(report);
    console.log(text);
    await mkdir('test-results', { recursive: true });
    await writeFile('test-results/fuzz-report.txt', `${text}\n`);
    await writeFile('test-results/fuzz-report.json', `${JSON.stringify(report, null, 2)}\n`);
    expect(report.ok, `fuzzing found failures; replay with CIMD_FUZZ_SEED=${SEED}`).toBe(true);
  } finally {
    await world.close();
  }
});
