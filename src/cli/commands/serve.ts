/**
 * `cimd serve`: runs the authorization server. Configuration comes from flags > environment >
 * a JSON config file > defaults (see the README table), and is validated before anything
 * starts (exit 2 with every problem). Logs are JSON lines on stdout with secrets redacted; the
 * first is `listening`, with the issuer and endpoints (and, with `--upstream`, the redirect URI
 * to register at the provider, which is also said on stderr). SIGINT or SIGTERM stops accepting,
 * lets requests in flight finish, closes the server, registry and store, and exits 0.
 *
 * With `--demo` (or `--upstream-demo`), it runs the demo's own entry (`demo/main.js` of the build) in a child process
 * with the same flags, environment and working directory, relays SIGINT and SIGTERM to it, and
 * exits with its exit code: the CLI does not load the demo (nor the MCP SDK it needs).
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { runNodeEntry } from '../../serve/child-process.js';
import { unsupportedEnvironment } from '../../serve/config/env.js';
import {
  addServeOptions,
  configFileFlag,
  givenFlagArguments,
  readFlagLayer,
} from '../../serve/config/flags.js';
import { loadServeConfig } from '../../serve/config/load.js';
import { StartupError } from '../../serve/errors.js';
import { createLogger } from '../../serve/logging.js';
import { formatPolicyReport, policyReport } from '../../serve/policy-report.js';
import { runUntilStopped } from '../../serve/run.js';
import { startAuthorizationServer } from '../../serve/start.js';
import { EXIT_OK } from '../exit-codes.js';
import type { CliIo } from '../io.js';

/** The demo's entry in the build, beside the CLI's folder (`dist/demo/main.js`). */
const DEMO_ENTRY = new URL('../../demo/main.js', import.meta.url);

/** Runs the demo's entry as `cimd serve --demo` (its `serve` command) with the flags given here. */
function runDemo(command: Command, io: CliIo): Promise<number> {
  if (!existsSync(fileURLToPath(DEMO_ENTRY))) {
    throw new StartupError(
      `cimd serve --demo runs the demo's entry ${fileURLToPath(DEMO_ENTRY)}, which is missing: build the package (npm run build)`,
    );
  }
  return runNodeEntry(DEMO_ENTRY, ['serve', ...givenFlagArguments(command)], {
    stdout: io.stdout,
    stderr: io.stderr,
  });
}

async function runServe(command: Command, io: CliIo): Promise<number> {
  const config = await loadServeConfig({
    flags: readFlagLayer(command),
    configFile: configFileFlag(command),
  });
  const { printPolicy, json } = command.opts<{ printPolicy?: boolean; json?: boolean }>();
  if (printPolicy === true) {
    const report = policyReport(config);
    io.stdout.write(json === true ? `${JSON.stringify(report, null, 2)}\n` : formatPolicyReport(report));
    return EXIT_OK;
  }
  if (config.demo) return runDemo(command, io);
  const logger = createLogger({ level: config.logLevel, destination: io.stdout });
  for (const note of unsupportedEnvironment(process.env)) logger.warn({}, note);
  const say = (line: string) => io.stderr.write(`${line}\n`);
  await runUntilStopped(() => startAuthorizationServer(config, { logger, say }), { logger });
  return EXIT_OK;
}

/** Defines `cimd serve`. */
export function serveCommand(io: CliIo, setExit: (code: number) => void): Command {
  const command = new Command('serve').description(
    'Run the OAuth authorization server for MCP: CIMD clients, optional registration, sign-in through an identity provider (--upstream) or the development login (loopback only)',
  );
  addServeOptions(command);
  command.option(
    '--print-policy',
    'print the effective client policy (CIMD, trust, redirect URIs, each resource) and exit without listening',
  );
  command.option('--json', 'with --print-policy: print it as JSON');
  command.addHelpText(
    'after',
    `
Precedence: flags > environment > --config file (JSON, camelCase keys) > defaults.
Secrets from the environment only (never a flag): CIMD_UPSTREAM_CLIENT_SECRET, CIMD_ENCRYPTION_KEY.
Logs are JSON lines on stdout (secrets redacted); the first info line is "listening".

Examples:
  $ cimd serve --resource http://127.0.0.1:4001/mcp
  $ cimd serve --demo
  $ cimd serve --demo --upstream-demo
  $ CIMD_UPSTREAM_CLIENT_SECRET=... cimd serve --issuer https://auth.example.com --trust-proxy \\
      --resource https://mcp.example.com/mcp --upstream oidc \\
      --upstream-issuer https://idp.example.com --upstream-client-id mcp-auth
  $ cimd serve --resource https://mcp.example.com/mcp --no-registration --trust-mode allowlist \\
      --allow "*.example.com" --store sqlite --database ./data/cimd.sqlite
  $ CIMD_RESOURCES=http://127.0.0.1:4001/mcp LOG_LEVEL=debug cimd serve
  $ cimd serve --resource https://mcp.example.com/mcp \\
      --resource-policy "https://mcp.example.com/mcp clients=trusted,*.example.com scopes=mcp:read" \\
      --allowed-redirect-uri "http://127.0.0.1:*/callback" --print-policy`,
  );
  return command.action(async () => {
    setExit(await runServe(command, io));
  });
}
