#!/usr/bin/env node
// Runs the whole vitest suite and ends with the plain "N passed, N failed" line CI reads.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const outDir = 'test-results';
mkdirSync(outDir, { recursive: true });
const jsonFile = join(outDir, 'vitest.json');
const run = spawnSync(
  process.execPath,
  [
    'node_modules/vitest/vitest.mjs',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${jsonFile}`,
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);

let summary;
try {
  summary = JSON.parse(readFileSync(jsonFile, 'utf8'));
} catch (error) {
  console.error(`could not read the test report ${jsonFile}: ${error.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const skipped = (summary.numPendingTests ?? 0) + (summary.numTodoTests ?? 0);
console.log(
  `${summary.numPassedTests} passed, ${summary.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`,
);
const failed = summary.numFailedTests > 0 || summary.numFailedTestSuites > 0 || run.status !== 0;
process.exit(failed ? 1 : 0);
