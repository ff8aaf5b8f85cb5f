/**
 * `cimd connect <mcp-server-url>`: signs in to an MCP server with a Client ID Metadata Document
 * (through the system browser, or by printing the URL), lists the server's tools, or calls one.
 * With `--client-credentials`, an agent connects as itself: no user and no browser, a token from
 * the `client_credentials` grant signed with the key set of `--key` (reread at every token
 * request, so a `cimd keys promote` takes effect at once).
 * Data (tools, the call's result) on stdout, the sign-in on stderr. Exit 0 ok, 1 when the tool
 * reports an error or does not exist, 2 when the sign-in or connection fails or on usage errors.
 *
 * @module
 */
import { Command, Option } from 'commander';
import type { AssertionSignerLike } from '../../client/client-auth.js';
import { clientFor, loadClientConfig, rotatingKeySetSigner } from '../../client/client-config.js';
import { connect } from '../../client/connect.js';
import { isSignInError } from '../../client/errors.js';
import { FileTokenStore } from '../../client/file-token-store.js';
import { MemoryTokenStore } from '../../client/token-store.js';
import { isCimdError } from '../../errors.js';
import { createAssertionSigner } from '../../keys/assertion.js';
import { loadKeySet } from '../../keys/file.js';
import { EXIT_CANNOT_CHECK, EXIT_INVALID, EXIT_OK, UsageError } from '../exit-codes.js';
import { type CliIo, writeLine } from '../io.js';

interface ConnectFlags {
  clientMetadataUrl?: string;
  config?: string;
  purpose?: string;
  key?: string;
  clientCredentials?: boolean;
  scope?: string;
  dpop?: boolean;
  printUrl?: boolean;
  call?: string;
  args?: string;
  json?: boolean;
  store: 'memory' | 'file';
  transport: 'streamable-http' | 'sse' | 'auto';
  timeout: string;
  allowPrivateNetwork?: boolean;
}

interface ToolSummary {
  name: string;
  description?: string | undefined;
}

/** Defines `cimd connect`; `setExit` receives the exit code. */
export function connectCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('connect')
    .description(
      'Sign in to an MCP server with a Client ID Metadata Document, then list its tools or call one',
    )
    .argument('<mcp-server-url>', 'the MCP server (Streamable HTTP or SSE), e.g. https://mcp.example.com/mcp')
    .option(
      '--client-metadata-url <url>',
      'the https URL of your client metadata document (the client_id); or use --config',
    )
    .option('--key <file>', 'the key set file (cimd keys generate) for a private_key_jwt document')
    .option(
      '--config <file>',
      'a client configuration (cimd-clients.json) naming the document and key set to use with each server',
    )
    .option('--purpose <name>', 'with --config: the entry for this purpose, when a server has several')
    .option(
      '--client-credentials',
      'connect as an agent with the client_credentials grant: no user, no browser (needs --key)',
    )
    .option(
      '--scope <scope>',
      'with --client-credentials: the scope to ask for (default: the document scope)',
    )
    .option(
      '--dpop',
      'ask for DPoP-bound tokens (RFC 9449): a key per token store, a proof with every request',
    )
    .option('--print-url', 'print the sign-in URL on stderr instead of opening the browser')
    .option('--call <tool>', 'call this tool instead of listing the tools')
    .option('--args <json>', 'the tool arguments, a JSON object (with --call)', '{}')
    .option('--json', 'print JSON on stdout (the tools, or the call result)')
    .addOption(
      new Option(
        '--store <kind>',
        'where tokens are kept: memory (this run only) or file (your config folder, mode 0600)',
      )
        .choices(['memory', 'file'])
        .default('memory'),
    )
    .addOption(
      new Option(
        '--transport <kind>',
        'the MCP transport: streamable-http, sse (HTTP+SSE, protocol 2024-11-05), or auto (Streamable HTTP, then SSE on a 4xx)',
      )
        .choices(['streamable-http', 'sse', 'auto'])
        .default('streamable-http'),
    )
    .option('--timeout <seconds>', 'how long the sign-in may take', '300')
    .option(
      '--allow-private-network',
      'allow a client metadata URL on this machine or a private network (development only)',
    )
    .addHelpText(
      'after',
      `
Exit codes: 0 done, 1 the tool reported an error or does not exist,
            2 usage error, or the sign-in or the connection failed.

Examples:
  $ cimd connect https://mcp.example.com/mcp --client-metadata-url https://app.example.com/oauth/client.json
  $ cimd connect https://mcp.example.com/mcp --client-metadata-url https://app.example.com/oauth/client.json \\
      --key cimd-keys.json --call echo --args '{"text":"hi"}' --json
  $ cimd connect https://mcp.example.com/mcp --client-credentials --key cimd-keys.json \
      --client-metadata-url https://agent.example.com/client.json --call echo
  $ cimd connect https://mcp.example.com/mcp --config cimd-clients.json   # this server's own identity`,
    )
    .action(async (serverUrl: string, flags: ConnectFlags) => {
      setExit(await runConnect(serverUrl, flags, io));
    });
}

function parseServerUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${raw} is not a URL; pass the MCP server's URL, e.g. https://mcp.example.com/mcp`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`${raw} is not an http(s) URL`);
  }
  return url;
}

function parseArguments(raw: string | undefined): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw ?? '{}');
  } catch {
    throw new UsageError('--args is not valid JSON; pass an object such as \'{"a":1}\'');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError('--args must be a JSON object, such as \'{"a":1}\'');
  }
  return value as Record<string, unknown>;
}

function parseTimeout(raw: string): number {
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw new UsageError(`--timeout must be whole seconds from 1 to 3600; got ${raw}`);
  }
  return seconds * 1000;
}

async function loadSigner(path: string | undefined): Promise<AssertionSignerLike | undefined> {
  if (path === undefined) return undefined;
  try {
    return await createAssertionSigner(await loadKeySet(path));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * A signer that reads the key set file at every token request and signs with its current key,
 * so an agent follows a rotation (`cimd keys promote`) without a restart.
 */
async function loadRotatingSigner(path: string | undefined): Promise<AssertionSignerLike> {
  if (path === undefined) {
    throw new UsageError(
      '--client-credentials needs --key <file> (or "keys" in the --config entry): the key set (cimd keys generate) the agent signs with',
    );
  }
  try {
    return await rotatingKeySetSigner(path);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function printTools(io: CliIo, tools: readonly ToolSummary[], json: boolean): void {
  if (json) {
    writeLine(io.stdout, JSON.stringify({ tools }, null, 2));
    return;
  }
  if (tools.length === 0) writeLine(io.stderr, 'The server has no tools.');
  for (const tool of tools) {
    writeLine(io.stdout, tool.description ? `${tool.name}  ${io.colors.dim(tool.description)}` : tool.name);
  }
}

function printResult(io: CliIo, result: Record<string, unknown>, json: boolean): void {
  if (json) {
    writeLine(io.stdout, JSON.stringify(result, null, 2));
    return;
  }
  const content = Array.isArray(result.content) ? (result.content as Array<Record<string, unknown>>) : [];
  for (const part of content) {
    writeLine(
      io.stdout,
      part.type === 'text' && typeof part.text === 'string' ? part.text : JSON.stringify(part),
    );
  }
  if (content.length === 0 && result.structuredContent !== undefined) {
    writeLine(io.stdout, JSON.stringify(result.structuredContent, null, 2));
  }
}

/**
 * The document URL and key set file: from the flags, or from the `--config` entry for this server
 * (strict URL match; see docs/client-authors.md).
 */
async function chooseIdentity(
  serverUrl: URL,
  flags: ConnectFlags,
  io: CliIo,
): Promise<{ clientMetadataUrl: string; key: string | undefined }> {
  if (flags.config === undefined) {
    if (flags.purpose !== undefined) throw new UsageError('--purpose goes with --config');
    if (flags.clientMetadataUrl === undefined) {
      throw new UsageError(
        'missing the client identity: pass --client-metadata-url <url> (and --key <file>), or --config cimd-clients.json',
      );
    }
    return { clientMetadataUrl: flags.clientMetadataUrl, key: flags.key };
  }
  if (flags.clientMetadataUrl !== undefined || flags.key !== undefined) {
    throw new UsageError(
      '--config names the document and key set for each server: drop --client-metadata-url and --key',
    );
  }
  try {
    const config = await loadClientConfig(flags.config);
    const entry = clientFor(config, serverUrl, flags.purpose === undefined ? {} : { purpose: flags.purpose });
    writeLine(
      io.stderr,
      `Using ${entry.clientId}${entry.purpose ? ` (${entry.purpose})` : ''} from ${flags.config} servers[${entry.index}]`,
    );
    return { clientMetadataUrl: entry.clientId, key: entry.keys };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function runConnect(rawServerUrl: string, flags: ConnectFlags, io: CliIo): Promise<number> {
  const serverUrl = parseServerUrl(rawServerUrl);
  const identity = await chooseIdentity(serverUrl, flags, io);
  const toolArguments = flags.call === undefined ? undefined : parseArguments(flags.args);
  const callbackTimeoutMs = parseTimeout(flags.timeout);
  const agent = flags.clientCredentials === true;
  if (!agent && flags.scope !== undefined) throw new UsageError('--scope goes with --client-credentials');
  const signer = agent ? await loadRotatingSigner(identity.key) : await loadSigner(identity.key);
  if (flags.allowPrivateNetwork) {
    writeLine(
      io.stderr,
      io.colors.yellow(
        'Warning: --allow-private-network is on: a client metadata URL on a private network is accepted (development only).',
      ),
    );
  }

  let client: Awaited<ReturnType<typeof connect>>;
  try {
    client = await connect(serverUrl, {
      ...(agent
        ? {
            grant: 'client_credentials' as const,
            ...(flags.scope === undefined ? {} : { clientCredentialsScope: flags.scope }),
          }
        : {}),
      clientMetadataUrl: identity.clientMetadataUrl,
      transport: flags.transport,
      store: flags.store === 'file' ? new FileTokenStore() : new MemoryTokenStore(),
      onAuthorizationUrl: flags.printUrl ? 'print' : 'browser',
      messages: io.stderr,
      callbackTimeoutMs,
      ...(signer === undefined ? {} : { signer }),
      ...(flags.dpop ? { dpop: true } : {}),
      ...(flags.allowPrivateNetwork ? { allowPrivateNetwork: true } : {}),
    });
  } catch (error) {
    const known = isSignInError(error) || isCimdError(error);
    writeLine(
      io.stderr,
      io.colors.red(
        `✗ Cannot connect to ${serverUrl.href}: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
    if (!known && error instanceof Error && error.cause instanceof Error) {
      writeLine(io.stderr, `  cause: ${error.cause.message}`);
    }
    return EXIT_CANNOT_CHECK;
  }

  try {
    const server = client.getServerVersion();
    writeLine(
      io.stderr,
      `${io.colors.green('✓')} Connected to ${server ? `${server.name} ${server.version}` : serverUrl.href}`,
    );
    const { tools } = await client.listTools();
    if (flags.call === undefined) {
      printTools(
        io,
        tools.map((tool) => ({ name: tool.name, description: tool.description })),
        flags.json === true,
      );
      return EXIT_OK;
    }
    if (!tools.some((tool) => tool.name === flags.call)) {
      writeLine(
        io.stderr,
        io.colors.red(
          `✗ The server has no tool named ${flags.call}; it has: ${tools.map((tool) => tool.name).join(', ') || 'none'}`,
        ),
      );
      return EXIT_INVALID;
    }
    const result = (await client.callTool({ name: flags.call, arguments: toolArguments ?? {} })) as Record<
      string,
      unknown
    >;
    printResult(io, result, flags.json === true);
    if (result.isError === true) {
      writeLine(io.stderr, io.colors.red(`✗ The tool ${flags.call} reported an error.`));
      return EXIT_INVALID;
    }
    return EXIT_OK;
  } catch (error) {
    writeLine(io.stderr, io.colors.red(`✗ ${error instanceof Error ? error.message : String(error)}`));
    return EXIT_CANNOT_CHECK;
  } finally {
    await client.close().catch(() => {});
  }
}
