/**
 * Which MCP transport `connect()` uses: Streamable HTTP, the older HTTP+SSE transport (protocol
 * 2024-11-05, still served by many servers, e.g. the SDK's `SSEServerTransport`), or `auto`: try
 * Streamable HTTP and fall back to SSE when the server answers the `initialize` POST with a 4xx
 * (other than 401 and 403, which are sign-in answers), as the MCP specification's backwards
 * compatibility section and the SDK's documentation recommend. The SDK is passed in.
 *
 * @module
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { SignInError } from './errors.js';
import type { FetchLike } from './fetch-like.js';

/**
 * The MCP transport of a connection: `streamable-http` (the default), `sse` (HTTP+SSE: a GET
 * opens the event stream, messages are POSTed to the endpoint it names), or `auto` (Streamable
 * HTTP, falling back to SSE on a 4xx such as 404 or 405).
 */
export type McpTransportKind = 'streamable-http' | 'sse' | 'auto';

/** The transport constructors `connect()` picks from. */
export interface TransportConstructors {
  StreamableHTTPClientTransport: new (url: URL, options: { fetch: FetchLike }) => Transport;
  SSEClientTransport: new (url: URL, options: { fetch: FetchLike }) => Transport;
}

const KINDS: readonly McpTransportKind[] = ['streamable-http', 'sse', 'auto'];

/**
 * Checks a `transport` option.
 *
 * @throws SignInError `ERR_SIGNIN_CLIENT_CONFIG` for anything but the three kinds.
 */
export function transportKindOf(value: unknown): McpTransportKind {
  if (value === undefined) return 'streamable-http';
  if (typeof value === 'string' && (KINDS as readonly string[]).includes(value))
    return value as McpTransportKind;
  throw new SignInError(
    'ERR_SIGNIN_CLIENT_CONFIG',
    `transport must be one of ${KINDS.join(', ')}; got ${JSON.stringify(value)}.`,
  );
}

/** True for the answer of a server that has no Streamable HTTP endpoint there (a 4xx that is not about the token). */
export function isStreamableHttpRefusal(error: unknown): boolean {
  if (error instanceof SignInError) return false;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code >= 400 && code < 500 && code !== 401 && code !== 403;
}

/**
 * Connects a new client (from `newClient`) over the chosen transport; with `auto`, a refused
 * Streamable HTTP attempt is closed and a fresh client connects over SSE.
 */
export async function connectOver(
  kind: McpTransportKind,
  sdk: TransportConstructors,
  url: URL,
  fetch: FetchLike,
  newClient: () => Client,
): Promise<Client> {
  const attempt = async (transport: Transport): Promise<Client> => {
    const client = newClient();
    try {
      await client.connect(transport);
      return client;
    } catch (error) {
      await client.close().catch(() => {});
      throw error;
    }
  };
  if (kind === 'sse') return attempt(new sdk.SSEClientTransport(url, { fetch }));
  try {
    return await attempt(new sdk.StreamableHTTPClientTransport(url, { fetch }));
  } catch (error) {
    if (kind !== 'auto' || !isStreamableHttpRefusal(error)) throw error;
    return attempt(new sdk.SSEClientTransport(url, { fetch }));
  }
}
