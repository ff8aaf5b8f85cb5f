#!/usr/bin/env node
// `npm run fuzz`: property-based fuzzing of every endpoint (issue 9), the long run. It picks a
// random seed unless CIMD_FUZZ_SEED is set, sends CIMD_FUZZ_RUNS requests (default 100,000),
// prints the report (status counts, 5xx, crashes, requests per second, heap after GC) and exits
// non-zero on any finding. The fuzzer itself lives in test/security/fuzz/ (TypeScript, run by
// vitest like the rest of the tests; npm test runs a fixed-seed slice of it).
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

const seed = process.env.CIMD_FUZZ_SEED || String(randomInt(2 ** 31 - 1));
const runs = process.env.CIMD_FUZZ_RUNS || '100000';
if (!/^\d+$/.test(seed) || !/^[1-9]\d*$/.test(runs)) {
  console.error('CIMD_FUZZ_SEED must be a non-negative integer and CIMD_FUZZ_RUNS a positive integer');
  process.exit(2);
}
console.error(`npm run fuzz: ${runs} requests, seed ${seed} (replay with CIMD_FUZZ_SEED=${seed})`);
const run = spawnSync(
  process.execPath,
  [
    'node_modules/vitest/vitest.mjs',
    'run',
    '--config',
    'test/security/fuzz/vitest.config.ts',
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit', env: { ...process.env, CIMD_FUZZ_SEED: seed, CIMD_FUZZ_RUNS: runs } },
);
if (run.error) console.error(`could not start vitest: ${run.error.message}`);
process.exit(run.status ?? 1);
