/**
 * The `cimd` command line: `create`, `validate`, `keys`, `host`, `serve`, `connect` and `admin`.
 * Data goes to stdout, diagnostics to stderr; exit 0 ok, 1 invalid, 2 usage or environment error.
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { adminCommand } from './commands/admin.js';
import { connectCommand } from './commands/connect.js';
import { createCommand } from './commands/create.js';
import { hostCommand } from './commands/host.js';
import { keysCommand } from './commands/keys.js';
import { serveCommand } from './commands/serve.js';
import { validateCommand } from './commands/validate.js';
import { EXIT_CANNOT_CHECK, EXIT_OK, UsageError } from './exit-codes.js';
import { type CliIo, processIo, writeLine } from './io.js';

/** Runs the CLI with `argv` (without the node and script paths) and resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode = EXIT_OK;
  const setExit = (code: number) => {
    exitCode = code;
  };
  const program = new Command('cimd')
    .description('OAuth Client ID Metadata Documents (CIMD) for MCP: create, validate, and more')
    .version(VERSION, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride();
  program.addCommand(createCommand(io, setExit).exitOverride());
  program.addCommand(validateCommand(io, setExit).exitOverride());
  program.addCommand(keysCommand(io, setExit).exitOverride());
  program.addCommand(hostCommand(io, setExit).exitOverride());
  program.addCommand(serveCommand(io, setExit).exitOverride());
  program.addCommand(connectCommand(io, setExit).exitOverride());
  program.addCommand(adminCommand(io, setExit).exitOverride());

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; every other parse error is a usage error.
      return error.exitCode === 0 ? EXIT_OK : EXIT_CANNOT_CHECK;
    }
    if (error instanceof UsageError) {
      writeLine(io.stderr, `error: ${error.message}`);
      return EXIT_CANNOT_CHECK;
    }
    writeLine(io.stderr, `error: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_CANNOT_CHECK;
  }
  return exitCode;
}
