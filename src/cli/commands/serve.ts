/**
 * `cimd serve`: runs the authorization server. Configuration comes from flags > environment >
 * a JSON config file > defaults (see the README table), and is validated before anything
 * starts (exit 2 with every problem). Logs are JSON lines on stdout with secrets redacted; the
 * first is `listening`, with the issuer and endpoints. SIGINT or SIGTERM stops accepting, lets
 * requests in flight finish, closes the server, registry and store, and exits 0.
 *
 * @module
 */
import { Command } from 'commander';
import type { Logger } from '../../server/logger.js';
import { createLogger } from '../../server/logging.js';
import { unsupportedEnvironment } from '../config/env.js';
import { addServeOptions, configFileFlag, readFlagLayer } from '../config/flags.js';
import { loadServeConfig } from '../config/load.js';
import type { ServeConfig } from '../config/resolve.js';
import { EXIT_CANNOT_CHECK, EXIT_OK } from '../exit-codes.js';
import { type CliIo, writeLine } from '../io.js';
import { waitForShutdownSignal } from '../serve/signals.js';
import { startAuthorizationServer } from '../serve/start.js';
import { StartupError } from '../serve/store.js';

/** Something running that can be closed. */
interface Running {
  close(): Promise<void>;
}

async function startDemoFromServe(config: ServeConfig, logger: Logger, io: CliIo): Promise<Running> {
  // Loaded only with --demo: the demo needs the MCP SDK (an optional peer dependency).
  const [{ startDemo }, { checkDemoDocuments }, { formatBanner }] = await Promise.all([
    import('../../demo/start.js'),
    import('../../demo/check-documents.js'),
    import('../../demo/banner.js'),
  ]).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ERR_MODULE_NOT_FOUND' || !error.message.includes('@modelcontextprotocol/sdk'))
      throw error;
    throw new StartupError('cimd serve --demo needs the MCP SDK: npm install @modelcontextprotocol/sdk');
  });
  const demo = await startDemo({ config, logger });
  const reports = await checkDemoDocuments(demo);
  io.stderr.write(formatBanner(demo, { reports, authorizeUrl: demo.authorize('public'), cli: 'cimd' }));
  return demo;
}

async function runServe(command: Command, io: CliIo): Promise<number> {
  const config = await loadServeConfig({
    flags: readFlagLayer(command),
    configFile: configFileFlag(command),
  });
  const logger = createLogger({ level: config.logLevel, destination: io.stdout });
  for (const note of unsupportedEnvironment(process.env)) logger.warn({}, note);
  const shutdown = waitForShutdownSignal((signal) => logger.warn({ signal }, 'second signal: stopping now'));
  let running: Running;
  try {
    running = config.demo
      ? await startDemoFromServe(config, logger, io)
      : await startAuthorizationServer(config, { logger });
  } catch (error) {
    shutdown.release();
    throw error;
  }
  const signal = await shutdown.signal;
  logger.info({ signal }, 'shutting down');
  try {
    await running.close();
  } catch (error) {
    logger.error({ err: error }, 'shutdown failed');
    writeLine(io.stderr, `error: shutdown failed: ${(error as Error).message}`);
    return EXIT_CANNOT_CHECK;
  } finally {
    shutdown.release();
  }
  logger.info({}, 'stopped');
  return EXIT_OK;
}

/** Defines `cimd serve`. */
export function serveCommand(io: CliIo, setExit: (code: number) => void): Command {
  const command = new Command('serve').description(
    'Run the OAuth authorization server for MCP: CIMD clients, optional registration, the development login (loopback only)',
  );
  addServeOptions(command);
  command.addHelpText(
    'after',
    `
Precedence: flags > environment > --config file (JSON, camelCase keys) > defaults.
Logs are JSON lines on stdout (secrets redacted); the first info line is "listening".

Examples:
  $ cimd serve --resource http://127.0.0.1:4001/mcp
  $ cimd serve --demo
  $ cimd serve --resource https://mcp.example.com/mcp --no-registration --trust-mode allowlist \\
      --allow "*.example.com" --store sqlite --database ./data/cimd.sqlite
  $ CIMD_RESOURCES=http://127.0.0.1:4001/mcp LOG_LEVEL=debug cimd serve`,
  );
  return command.action(async () => {
    setExit(await runServe(command, io));
  });
}
