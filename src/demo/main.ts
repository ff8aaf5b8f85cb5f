/**
 * `npm start`: runs the demo (see `startDemo`) and prints what to open. Options:
 * `--port <n>` (the authorization server's port, default 4000; the others follow it),
 * `--store memory|sqlite` (default memory), `--log-level <level>` (default warn, or `LOG_LEVEL`).
 * Logs (JSON) go to stderr, the banner to stdout. Ctrl-C stops everything.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { waitForShutdownSignal } from '../cli/serve/signals.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../server/logging.js';
import { formatBanner } from './banner.js';
import { checkDemoDocuments } from './check-documents.js';
import { startDemo } from './start.js';

const USAGE = 'usage: npm start -- [--port <n>] [--store memory|sqlite] [--log-level <level>]';

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function readOptions(): { port: number; store: 'memory' | 'sqlite'; level: LogLevel } {
  let values: {
    port?: string | undefined;
    store?: string | undefined;
    'log-level'?: string | undefined;
    help?: boolean | undefined;
  };
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        store: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const port = Number(values.port ?? 4000);
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_532)
    fail(`--port must be a whole number from 0 to 65532; got ${values.port}`);
  const store = values.store ?? 'memory';
  if (store !== 'memory' && store !== 'sqlite') fail(`--store must be memory or sqlite; got ${store}`);
  const level = values['log-level'] ?? process.env.LOG_LEVEL ?? 'warn';
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    fail(`--log-level must be one of ${LOG_LEVELS.join(', ')}; got ${level}`);
  return { port, store, level: level as LogLevel };
}

async function main(): Promise<void> {
  const options = readOptions();
  const logger = createLogger({ level: options.level, destination: process.stderr });
  const shutdown = waitForShutdownSignal(() => process.stderr.write('forced stop\n'));
  let demo: Awaited<ReturnType<typeof startDemo>>;
  try {
    demo = await startDemo({ port: options.port, store: options.store, logger });
  } catch (error) {
    shutdown.release();
    fail((error as Error).message);
  }
  const reports = await checkDemoDocuments(demo);
  process.stdout.write(
    formatBanner(demo, { reports, authorizeUrl: demo.authorize('public'), cli: 'node dist/cli/bin.js' }),
  );
  await shutdown.signal;
  process.stdout.write('\nstopping...\n');
  await demo.close();
  shutdown.release();
  process.stdout.write('stopped\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
