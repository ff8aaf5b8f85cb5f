/**
 * `connectSdk2(serverUrl, options)`: like {@link connect}, with the MCP TypeScript SDK 2.x
 * (`@modelcontextprotocol/client`): its `Client` and Streamable HTTP transport, which speak the
 * stateless 2026-07-28 lifecycle (`server/discover`, per-request `_meta`, no `initialize`) when
 * asked to, and its `auth()`, which adds the 2026-07-28 checks of its own (RFC 9207 `iss`
 * again, RFC 8414 §3.3, SEP-2352 issuer stamps). The same CIMD provider signs in. The SDK is an
 * optional peer dependency, imported here lazily.
 *
 * @module
 */
import type { Client } from '@modelcontextprotocol/client';
import { VERSION } from '../version.js';
import { type ConnectOptions, providerFor } from './connect.js';
import { SignInError } from './errors.js';
import { createSignInFetch, type SdkAuth } from './sign-in-fetch.js';

/** Options of {@link connectSdk2}: {@link ConnectOptions}, plus the protocol era. */
export interface ConnectSdk2Options extends Omit<ConnectOptions, 'transport'> {
  /**
   * The protocol version to speak: `'2026-07-28'` (or later) pins the stateless lifecycle;
   * `'auto'` probes with `server/discover` and falls back to `initialize`; `'legacy'` speaks
   * the 2025 lifecycle only. Default `'auto'`.
   */
  protocolVersion?: string;
}

type Sdk2 = typeof import('@modelcontextprotocol/client');

async function loadSdk2(): Promise<Sdk2> {
  try {
    return await import('@modelcontextprotocol/client');
  } catch (error) {
    throw new SignInError(
      'ERR_SIGNIN_FAILED',
      'connectSdk2() needs @modelcontextprotocol/client (2.x): npm install @modelcontextprotocol/client',
      { cause: error },
    );
  }
}

/** The SDK 2.x `auth()` in the shape {@link createSignInFetch} takes (our provider is structural). */
export function sdk2Auth(sdk: Pick<Sdk2, 'auth' | 'extractWWWAuthenticateParams'>): SdkAuth {
  return {
    auth: (provider, options) =>
      sdk.auth(provider as unknown as Parameters<Sdk2['auth']>[0], options as Parameters<Sdk2['auth']>[1]),
    extractWWWAuthenticateParams: (response) => sdk.extractWWWAuthenticateParams(response),
  };
}

/**
 * Connects to the MCP server at `serverUrl` with SDK 2.x, signing in with the CIMD provider
 * whenever the server asks (first use, expiry, step-up). Close the client with `client.close()`.
 *
 * @throws SignInError when the sign-in cannot start or fails; the SDK's errors for MCP failures.
 */
export async function connectSdk2(serverUrl: string | URL, options: ConnectSdk2Options): Promise<Client> {
  const sdk = await loadSdk2();
  const provider = providerFor(serverUrl, options, 'connectSdk2()');
  await provider.prepare();
  const signInFetch = createSignInFetch({
    provider,
    serverUrl,
    sdk: sdk2Auth(sdk),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.maxStepUps === undefined ? {} : { maxStepUps: options.maxStepUps }),
  });
  const transport = new sdk.StreamableHTTPClientTransport(new URL(String(serverUrl)), { fetch: signInFetch });
  const version = options.protocolVersion ?? 'auto';
  const mode = version === 'auto' || version === 'legacy' ? version : { pin: version };
  const client = new sdk.Client(options.clientInfo ?? { name: 'mcp-cimd', version: VERSION }, {
    versionNegotiation: { mode },
  });
  try {
    await client.connect(transport);
  } catch (error) {
    await provider.cancelSignIn();
    await client.close().catch(() => {});
    throw error;
  }
  return client;
}
