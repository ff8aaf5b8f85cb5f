/**
 * `cimd host <document>`: serves a client metadata document (and its JWKS) for development and
 * previews, exactly where its `client_id` says it lives. The document is linted first and the
 * `client_id` is checked against where the server listens (or `--public-url`); either failing
 * refuses to start (exit 1). Requests are logged to stderr; SIGINT and SIGTERM stop it (exit 0).
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { isCimdError } from '../../errors.js';
import { serveClientMetadata } from '../../host/handler.js';
import { DEFAULT_HOST_CACHE_CONTROL } from '../../host/options.js';
import { EXIT_CANNOT_CHECK, EXIT_INVALID, EXIT_OK, UsageError } from '../exit-codes.js';
import { type CliIo, formatFinding, sortFindings, writeLine } from '../io.js';
import { checkServedOrigin, defaultPort } from './host/origin-check.js';
import { prepareFiles } from './host/prepare.js';
import { type RunningServer, startServer } from './host/server.js';

interface HostFlags {
  jwks?: string;
  port?: number;
  host: string;
  tlsCert?: string;
  tlsKey?: string;
  publicUrl?: string;
  cacheControl: string;
  allowPrivateNetwork?: boolean;
}

/** Options of {@link hostCommand} for embedding and tests. */
export interface HostCommandOptions {
  /** Stops the server when aborted, like SIGINT or SIGTERM. */
  signal?: AbortSignal;
  /** Called once the server listens, with its document URL and bound port. */
  onListening?: (info: { documentUrl: string; port: number }) => void;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidArgumentError('expected a port number from 0 to 65535');
  }
  return port;
}

/** Defines `cimd host`. */
export function hostCommand(
  io: CliIo,
  setExit: (code: number) => void,
  options: HostCommandOptions = {},
): Command {
  return new Command('host')
    .description(
      'Serve a client metadata document (and its JWKS) at its client_id, for development and previews',
    )
    .argument('<document>', 'the client metadata document file')
    .option(
      '--jwks <file>',
      "a public JWKS file to serve at the document's jwks_uri path (default path /jwks.json)",
    )
    .option('--port <port>', "the port to listen on (default: the client_id's port)", parsePort)
    .option('--host <address>', 'the address to listen on', '127.0.0.1')
    .option('--tls-cert <pem>', 'a PEM certificate file: serve https (with --tls-key)')
    .option('--tls-key <pem>', 'the PEM private key file of --tls-cert')
    .option('--public-url <url>', 'behind a proxy: the public origin, or the full public URL of the document')
    .option(
      '--cache-control <value>',
      'the Cache-Control of the document and the JWKS',
      DEFAULT_HOST_CACHE_CONTROL,
    )
    .option(
      '--allow-private-network',
      'accept a client_id or jwks_uri on this machine or a private network (development only)',
    )
    .addHelpText(
      'after',
      `
Exit codes: 0 stopped by SIGINT or SIGTERM, 1 the document is invalid or its client_id is not
            where it would be served, 2 usage error, unreadable file, or cannot listen.

Examples:
  $ cimd host client.json --jwks jwks.json --tls-cert dev-cert.pem --tls-key dev-key.pem --allow-private-network
      (client.json's client_id: https://localhost:8443/client.json)
  $ cimd host client.json --port 8080 --public-url https://app.example.com`,
    )
    .action(async (documentPath: string, flags: HostFlags) => {
      setExit(await runHost(documentPath, flags, io, options));
    });
}

async function readPem(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the ${what} ${path}: ${(error as Error).message}`);
  }
}

function jwksWarnings(document: Record<string, unknown>, origin: string, jwksGiven: boolean): string[] {
  const warnings: string[] = [];
  const jwksUri = typeof document.jwks_uri === 'string' ? document.jwks_uri : undefined;
  let here = false;
  try {
    here = jwksUri !== undefined && new URL(jwksUri).origin === origin;
  } catch {
    here = false;
  }
  if (jwksGiven && jwksUri === undefined) {
    warnings.push('the document names no jwks_uri, so servers will not fetch the JWKS served here');
  } else if (jwksGiven && !here) {
    warnings.push(
      `the document's jwks_uri ${jwksUri} is on another origin; servers fetch that, not the JWKS served here`,
    );
  } else if (!jwksGiven && here) {
    warnings.push(
      `the document's jwks_uri ${jwksUri} is on this server but no --jwks was given: it will answer 404`,
    );
  }
  return warnings;
}

/** Resolves with the reason (`SIGINT`, `SIGTERM`, `abort`) once asked to stop; `cancel` removes the listeners. */
function stopRequest(signal: AbortSignal | undefined): { reason: Promise<string>; cancel(): void } {
  let cancel = () => {};
  const reason = new Promise<string>((resolve) => {
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    const onAbort = () => stop('abort');
    cancel = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      signal?.removeEventListener('abort', onAbort);
    };
    const stop = (why: string) => {
      cancel();
      resolve(why);
    };
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    if (signal?.aborted) stop('abort');
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  return { reason, cancel };
}

async function runHost(
  documentPath: string,
  flags: HostFlags,
  io: CliIo,
  options: HostCommandOptions,
): Promise<number> {
  const { colors } = io;
  const say = (line = '') => writeLine(io.stderr, line);
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together');
  }
  if (flags.allowPrivateNetwork) {
    say(
      colors.yellow(
        'Warning: --allow-private-network is on: a client_id on this machine is accepted. Authorization servers refuse such documents unless they allow private networks (development only).',
      ),
    );
  }
  const prepared = await prepareFiles(documentPath, flags.jwks, {
    allowPrivateNetwork: flags.allowPrivateNetwork === true,
  });
  for (const finding of sortFindings(prepared.findings)) say(formatFinding(finding, colors));
  if (!prepared.valid || prepared.document === undefined) {
    say(colors.red(`✗ Refusing to serve ${documentPath}: fix the errors above (each names its rule).`));
    return EXIT_INVALID;
  }
  const clientId = prepared.document.client_id as string;
  const port = flags.port ?? defaultPort(clientId, flags.publicUrl);
  const check = checkServedOrigin(clientId, {
    tls: flags.tlsCert !== undefined,
    host: flags.host,
    port,
    ...(flags.publicUrl !== undefined ? { publicUrl: flags.publicUrl } : {}),
  });
  if (!check.ok) {
    say(
      colors.red(`✗ Refusing to serve ${documentPath}: it would not be served at its client_id ${clientId}.`),
    );
    for (const problem of check.problems) say(`  - ${problem}`);
    say('  An authorization server compares client_id with the URL it fetched, byte for byte (CIMD-DOC-03).');
    say(
      '  Serve it where client_id says (--host, --port, TLS), pass --public-url behind a proxy, or fix client_id.',
    );
    return EXIT_INVALID;
  }
  const tls =
    flags.tlsCert !== undefined && flags.tlsKey !== undefined
      ? { cert: await readPem(flags.tlsCert, 'TLS certificate'), key: await readPem(flags.tlsKey, 'TLS key') }
      : undefined;
  for (const warning of jwksWarnings(prepared.document, check.origin, prepared.jwksText !== undefined)) {
    say(colors.yellow(`Warning: ${warning}`));
  }

  let handler: ReturnType<typeof serveClientMetadata>;
  try {
    handler = serveClientMetadata({
      document: prepared.documentText,
      ...(prepared.jwksText !== undefined ? { jwks: prepared.jwksText } : {}),
      cacheControl: flags.cacheControl,
      ...(flags.publicUrl !== undefined ? { publicUrl: flags.publicUrl } : {}),
      onClientIdMismatch: ({ servedUrl }) =>
        say(
          colors.red(
            `  refused: the document was requested as ${servedUrl}, not at its client_id ${clientId}`,
          ),
        ),
    });
  } catch (error) {
    if (!isCimdError(error)) throw error;
    say(colors.red(`✗ Refusing to serve ${documentPath}: ${error.message}`));
    return EXIT_INVALID;
  }

  // Listen for SIGINT and SIGTERM before announcing the URL, so a stop right after it is clean.
  const stop = stopRequest(options.signal);
  let server: RunningServer;
  try {
    server = await startServer(handler, { host: flags.host, port, ...(tls ? { tls } : {}) }, io);
  } catch (error) {
    stop.cancel();
    say(colors.red(`✗ ${(error as Error).message}`));
    return EXIT_CANNOT_CHECK;
  }
  const scheme = tls ? 'https' : 'http';
  const listening = `${scheme}://${flags.host.includes(':') ? `[${flags.host}]` : flags.host}:${server.port}`;
  say(`${colors.green('✓')} Serving ${clientId} (listening on ${listening})`);
  if (handler.jwksPath !== undefined) say(`  JWKS: ${check.origin}${handler.jwksPath}`);
  say('  Press Ctrl+C to stop.');
  writeLine(io.stdout, clientId);
  options.onListening?.({ documentUrl: clientId, port: server.port });

  const reason = await stop.reason;
  say(`${reason === 'abort' ? 'Stopping' : `${reason}: stopping`}…`);
  await server.close();
  return EXIT_OK;
}
