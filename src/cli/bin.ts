#!/usr/bin/env node
/** The `cimd` executable: runs the CLI on this process's arguments and sets the exit code. */
import { EXIT_CANNOT_CHECK } from './exit-codes.js';
import { runCli } from './main.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT_CANNOT_CHECK;
  },
);
