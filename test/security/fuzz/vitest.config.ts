/**
 * The vitest configuration of the long fuzzing run (`npm run fuzz`, see scripts/fuzz.mjs): only
 * full.fuzz.ts, no time limit, the GC exposed so the report can show the heap after a full
 * collection, and the console not intercepted so progress shows while it runs.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../../..', import.meta.url)),
  test: {
    include: ['test/security/fuzz/full.fuzz.ts'],
    testTimeout: 21_600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    execArgv: ['--expose-gc'],
    disableConsoleIntercept: true,
  },
});
