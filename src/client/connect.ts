/**
 * `connect(serverUrl, options)`: an MCP SDK `Client`, connected over Streamable HTTP or SSE, that signs
 * in with the CIMD provider whenever the server asks (first use, expiry, step-up). The SDK is an
 * optional peer dependency and is imported here, lazily.
 *
 * @module
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { VERSION } from '../version.js';
import { createClientCredentialsFetch } from './client-credentials.js';
import { loadDpopKeyPair } from './dpop.js';
import { SignInError } from './errors.js';
import { CimdOAuthClientProvider } from './provider.js';
import type { CimdClientProviderOptions } from './provider-options.js';
import { createSignInFetch, type FetchLike, type SdkAuth } from './sign-in-fetch.js';
import { MemoryTokenStore } from './token-store.js';
import { connectOver, type McpTransportKind, transportKindOf } from './transport-choice.js';

/** Options of {@link connect}: the provider's (without `serverUrl`), or a provider, plus the client's. */
export interface ConnectOptions extends Omit<CimdClientProviderOptions, 'serverUrl' | 'clientMetadataUrl'> {
  /** The document URL (the `client_id`); required unless `provider` is given. */
  clientMetadataUrl?: string;
  /**
   * A provider to use instead of building one, e.g. `cimdProvider(documentUrl)`: one built
   * without `serverUrl` is bound to this server; one bound to another server is refused.
   */
  provider?: CimdOAuthClientProvider;
  /** The MCP client's name and version sent in `initialize`. Default `{ name: 'mcp-cimd', version }`. */
  clientInfo?: { name: string; version: string };
  /** The fetch used for every request (MCP and OAuth). Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /**
   * `authorization_code` (default): a user signs in through the browser. `client_credentials`:
   * an agent acting as itself, with no user and no browser; needs `clientMetadataUrl` (the
   * agent's `client_id`) and `signer` (`createAssertionSigner(keySet)` from `mcp-cimd/keys`, or a
   * function that signs with the key set's current key, to follow rotations).
   */
  grant?: 'authorization_code' | 'client_credentials';
  /** With `grant: 'client_credentials'`: the scope to ask for. Default: the client's own `scope`. */
  clientCredentialsScope?: string;
  /**
   * The MCP transport: `streamable-http` (the default), `sse` (the HTTP+SSE transport of protocol
   * 2024-11-05, e.g. the SDK's `SSEServerTransport`), or `auto` (Streamable HTTP, falling back to
   * SSE when the server answers the first POST with a 4xx other than 401/403). The sign-in works
   * the same over each.
   */
  transport?: McpTransportKind;
  /** How many step-up sign-ins a session may make on `insufficient_scope` (SEP-2350). Default 2: at most 3 authorization requests in all. */
  maxStepUps?: number;
}

interface Sdk {
  Client: typeof import('@modelcontextprotocol/sdk/client/index.js').Client;
  StreamableHTTPClientTransport: typeof import('@modelcontextprotocol/sdk/client/streamableHttp.js').StreamableHTTPClientTransport;
  SSEClientTransport: typeof import('@modelcontextprotocol/sdk/client/sse.js').SSEClientTransport;
  auth: SdkAuth;
}

/** Imports the SDK pieces, or explains how to install it. */
async function loadSdk(): Promise<Sdk> {
  try {
    const [clientModule, transportModule, sseModule, authModule] = await Promise.all([
      import('@modelcontextprotocol/sdk/client/index.js'),
      import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
      import('@modelcontextprotocol/sdk/client/sse.js'),
      import('@modelcontextprotocol/sdk/client/auth.js'),
    ]);
    return {
      Client: clientModule.Client,
      StreamableHTTPClientTransport: transportModule.StreamableHTTPClientTransport,
      SSEClientTransport: sseModule.SSEClientTransport,
      auth: {
        auth: (provider, options) => authModule.auth(provider, options),
        extractWWWAuthenticateParams: (response) => authModule.extractWWWAuthenticateParams(response),
      },
    };
  } catch (error) {
    throw new SignInError(
      'ERR_SIGNIN_FAILED',
      'connect() needs @modelcontextprotocol/sdk (1.24 or later): npm install @modelcontextprotocol/sdk',
      { cause: error },
    );
  }
}

/** The MCP extension of the client_credentials grant, declared under `extensions` in the client capabilities. */
export const CLIENT_CREDENTIALS_EXTENSION = 'io.modelcontextprotocol/oauth-client-credentials';

/**
 * Connects with the client_credentials grant: a token from the authorization server the MCP
 * server names, with a private_key_jwt assertion; a new one whenever it expires or is refused.
 */
async function connectAsAgent(sdk: Sdk, serverUrl: string | URL, options: ConnectOptions): Promise<Client> {
  const clientId = options.clientMetadataUrl;
  if (clientId === undefined || options.signer === undefined) {
    throw new SignInError(
      'ERR_SIGNIN_CLIENT_CONFIG',
      "connect({ grant: 'client_credentials' }) needs clientMetadataUrl (the agent's client_id) and signer (createAssertionSigner(keySet) from mcp-cimd/keys).",
    );
  }
  // One DPoP key per token store, as for the browser sign-in; a failure surfaces at the first token request.
  const dpopKey = options.dpop ? loadDpopKeyPair(options.store ?? new MemoryTokenStore()) : undefined;
  dpopKey?.catch(() => {});
  const agentFetch = createClientCredentialsFetch({
    serverUrl,
    clientId,
    signer: options.signer,
    ...(options.clientCredentialsScope === undefined ? {} : { scope: options.clientCredentialsScope }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(dpopKey === undefined ? {} : { dpop: dpopKey }),
  });
  await agentFetch.authorize();
  // The MCP extension this grant belongs to, declared in the client capabilities (2026-07-28).
  return connectOver(
    transportKindOf(options.transport),
    sdk,
    new URL(String(serverUrl)),
    agentFetch,
    () =>
      new sdk.Client(options.clientInfo ?? { name: 'mcp-cimd', version: VERSION }, {
        capabilities: { extensions: { [CLIENT_CREDENTIALS_EXTENSION]: {} } },
      }),
  );
}

/**
 * The provider of a `connect()` (or `connectSdk2()`, named by `caller` in the error): the one
 * given, or one built from the options that are provider options.
 */
export function providerFor(
  serverUrl: string | URL,
  options: ConnectOptions & { protocolVersion?: string },
  caller = 'connect()',
): CimdOAuthClientProvider {
  // A provider built without a server (cimdProvider(url)) is bound to this one; another server is refused.
  if (options.provider !== undefined) return options.provider.bind(serverUrl);
  const {
    provider: _provider,
    clientInfo: _info,
    fetch: _fetch,
    maxStepUps: _max,
    grant: _grant,
    transport: _transport,
    clientCredentialsScope: _scope,
    protocolVersion: _version,
    clientMetadataUrl,
    ...rest
  } = options;
  if (clientMetadataUrl === undefined) {
    throw new SignInError('ERR_SIGNIN_CLIENT_CONFIG', `${caller} needs clientMetadataUrl (or a provider).`);
  }
  return new CimdOAuthClientProvider({ ...rest, clientMetadataUrl, serverUrl });
}

/**
 * Connects to the MCP server at `serverUrl`, signing in through the browser (or the configured
 * `onAuthorizationUrl`) when the server asks. The returned client keeps signing in as needed;
 * close it with `client.close()`.
 *
 * ```ts
 * const client = await connect('https://mcp.example.com/mcp', {
 *   clientMetadataUrl: 'https://app.example.com/oauth/client.json',
 * });
 * const { tools } = await client.listTools();
 * ```
 *
 * @throws SignInError when the sign-in cannot start or fails; the SDK's errors for MCP failures.
 */
export async function connect(serverUrl: string | URL, options: ConnectOptions): Promise<Client> {
  const sdk = await loadSdk();
  const kind = transportKindOf(options.transport);
  if (options.grant === 'client_credentials') return connectAsAgent(sdk, serverUrl, options);
  const provider = providerFor(serverUrl, options);
  await provider.prepare();
  const signInFetch = createSignInFetch({
    provider,
    serverUrl,
    sdk: sdk.auth,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.maxStepUps === undefined ? {} : { maxStepUps: options.maxStepUps }),
  });
  try {
    return await connectOver(
      kind,
      sdk,
      new URL(String(serverUrl)),
      signInFetch,
      () => new sdk.Client(options.clientInfo ?? { name: 'mcp-cimd', version: VERSION }),
    );
  } catch (error) {
    await provider.cancelSignIn();
    throw error;
  }
}
