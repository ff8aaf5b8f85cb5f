#!/usr/bin/env node
// Test-only entry: the BUILT `cimd keys` and `cimd host` commands (dist/) on a program wired like
// dist/cli/main.js, for the subprocess tests until main.ts registers them. See keys-host-cli.ts.
import { Command, CommanderError } from 'commander';
import { hostCommand } from '../../dist/cli/commands/host.js';
import { keysCommand } from '../../dist/cli/commands/keys.js';
import { validateCommand } from '../../dist/cli/commands/validate.js';
import { processIo } from '../../dist/cli/io.js';

const io = processIo();
let exitCode = 0;
const setExit = (code) => {
  exitCode = code;
};
const program = new Command('cimd')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
  .exitOverride();
program.addCommand(keysCommand(io, setExit).exitOverride());
program.addCommand(hostCommand(io, setExit).exitOverride());
program.addCommand(validateCommand(io, setExit).exitOverride());
try {
  await program.parseAsync(process.argv.slice(2), { from: 'user' });
} catch (error) {
  // Help and version are successes; parse errors and usage errors (UsageError) exit 2.
  if (error instanceof CommanderError) exitCode = error.exitCode === 0 ? 0 : 2;
  else {
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    exitCode = 2;
  }
}
process.exitCode = exitCode;
