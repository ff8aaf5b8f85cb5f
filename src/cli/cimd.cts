#!/usr/bin/env node
/**
 * The `cimd` executable. It sizes libuv's thread pool for this machine first (`thread-pool.cts`),
 * which only a CommonJS entry point can do before Node starts the pool, then loads the CLI
 * (`bin.ts`, an ES module) that runs the command.
 *
 * @module
 */
const os = require('node:os') as typeof import('node:os');
const { sizeThreadPool } = require('./thread-pool.cjs') as import('./thread-pool.cjs').ThreadPoolSizing;

sizeThreadPool(process.env, os.availableParallelism());
import('./bin.js').catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
