/**
 * The demo's entry (`dist/demo/main.js`): runs the demo (see `startDemo`) and prints what to
 * open. It takes every `cimd serve` option, from flags, the environment and a config file (see
 * `loadServeConfig`), with `--demo` implied; the authorization server listens on `--port`
 * (default 4000) and the demo's other servers on the three ports after it. Two ways in:
 *
 * - `npm start -- [options]`: the demo's own defaults: the memory store (`--store sqlite`: a
 *   temporary file, removed at exit, unless `--database` or `DATABASE_URL` names one) and
 *   `--log-level warn`; the JSON logs go to stderr, the banner and progress to stdout.
 * - `serve [options]`, what `cimd serve --demo [options]` runs: `cimd serve`'s defaults; the
 *   JSON logs go to stdout (`listening` first), the banner and progress to stderr.
 *
 * SIGINT or SIGTERM (or a stop relayed by `cimd serve`) stops everything: exit 0. A bad option or
 * a failed start: a message on stderr, exit 2.
 *
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { unsupportedEnvironment } from '../serve/config/env.js';
import { addServeOptions, configFileFlag, readFlagLayer } from '../serve/config/flags.js';
import { type ConfigLayer, emptyLayer, setValue } from '../serve/config/layers.js';
import { loadServeConfig } from '../serve/config/load.js';
import { StartupError } from '../serve/errors.js';
import { createLogger } from '../serve/logging.js';
import { runUntilStopped } from '../serve/run.js';

/** Where the output goes and how it reads, by the way the demo was started. */
interface Presentation {
  /** The command as messages name it. */
  command: string;
  /** How the banner tells to run the CLI. */
  cli: string;
  /** The JSON log lines. */
  logs: NodeJS.WritableStream;
  /** The banner and progress, for a person. */
  notes: NodeJS.WritableStream;
}

const NPM_START: Presentation = {
  command: 'npm start',
  cli: 'node dist/cli/cimd.cjs',
  logs: process.stderr,
  notes: process.stdout,
};

const CIMD_SERVE: Presentation = {
  command: 'cimd serve --demo',
  cli: 'cimd',
  logs: process.stdout,
  notes: process.stderr,
};

/** The exit code of a bad option or a failed start. */
const EXIT_USAGE = 2;

/** The demo's modules, loaded only now: they need the MCP SDK (an optional peer dependency). */
async function loadDemo(presentation: Presentation) {
  const [{ startDemo }, { checkDemoDocuments }, { formatBanner }] = await Promise.all([
    import('./start.js'),
    import('./check-documents.js'),
    import('./banner.js'),
  ]).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ERR_MODULE_NOT_FOUND' || !error.message.includes('@modelcontextprotocol/sdk'))
      throw error;
    throw new StartupError(
      `${presentation.command} needs the MCP SDK: npm install @modelcontextprotocol/sdk`,
    );
  });
  return { startDemo, checkDemoDocuments, formatBanner };
}

/** `npm start`'s defaults, below every other layer; a SQLite file goes in `dir`. */
function npmStartDefaults(dir: string): ConfigLayer {
  const layer = emptyLayer();
  const source = `${NPM_START.command}'s default`;
  setValue(layer, 'store', 'memory', source);
  setValue(layer, 'database', join(dir, 'demo.sqlite'), source);
  setValue(layer, 'logLevel', 'warn', source);
  return layer;
}

/** Loads the configuration given to `command`, runs the demo until it is stopped. */
async function runDemo(command: Command, presentation: Presentation, defaults: ConfigLayer): Promise<void> {
  const flags = readFlagLayer(command);
  setValue(flags, 'demo', true, presentation.command);
  const config = await loadServeConfig({ flags, configFile: configFileFlag(command), defaults });
  const logger = createLogger({ level: config.logLevel, destination: presentation.logs });
  for (const note of unsupportedEnvironment(process.env)) logger.warn({}, note);
  const { startDemo, checkDemoDocuments, formatBanner } = await loadDemo(presentation);
  const start = async () => {
    const demo = await startDemo({ config, logger, say: (line) => presentation.notes.write(`${line}\n`) });
    try {
      const reports = await checkDemoDocuments(demo);
      const authorizeUrl = demo.authorize('public');
      presentation.notes.write(formatBanner(demo, { reports, authorizeUrl, cli: presentation.cli }));
    } catch (error) {
      await demo.close();
      throw error;
    }
    return demo;
  };
  await runUntilStopped(start, { logger, say: (line) => presentation.notes.write(`${line}\n`) });
}

/** The demo's command line. */
function demoProgram(): Command {
  const program = new Command('npm start --')
    .description('The mcp-cimd demo: an authorization server, an MCP server and CIMD clients, on loopback')
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  addServeOptions(program).addHelpText(
    'after',
    `
Every option of cimd serve, from flags, the environment and --config, with --demo implied and the
demo's own defaults: --store memory (--store sqlite: a temporary file unless --database names one)
and --log-level warn. JSON logs go to stderr, the banner to stdout.`,
  );
  program.action(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cimd-demo-'));
    try {
      await runDemo(program, NPM_START, npmStartDefaults(dir));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  const serve = new Command('serve')
    .description('run the demo as `cimd serve --demo` does: its defaults, JSON logs on stdout')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  addServeOptions(serve).action(() => runDemo(serve, CIMD_SERVE, emptyLayer()));
  return program.addCommand(serve);
}

demoProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    // Commander has written its own message (and the help, for --help: exit 0).
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT_USAGE;
  });
