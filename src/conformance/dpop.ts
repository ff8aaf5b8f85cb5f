/**
 * The conformance suite's DPoP scenarios (`auth/dpop`, `auth/dpop-nonce`; SEP-1932, RFC 9449):
 * the CIMD provider signs in as usual with `dpop: true`, so its `dpop()` hook gives
 * `@modelcontextprotocol/client` 2.x a DPoP session (the token store's key), and the SDK's own transport presents the bound token with the `DPoP`
 * scheme and a fresh proof per request, retrying on `use_dpop_nonce` at the token endpoint and
 * at the MCP server. Interactive: after the transport's `UnauthorizedError`, the code from our
 * loopback listener goes to `transport.finishAuth(code, iss)` and the client connects again.
 *
 * @module
 */
import type { OAuthClientProvider } from '@modelcontextprotocol/client';
import { CimdOAuthClientProvider } from '../client/provider.js';
import type { CimdClientProviderOptions } from '../client/provider-options.js';
import { exerciseAndClose } from './exercise.js';

/** The scenarios this module runs. */
export const DPOP_SCENARIOS = ['auth/dpop', 'auth/dpop-nonce'] as const;

/** True when `scenario` is one this module runs. */
export function isDpopScenario(scenario: string | undefined): boolean {
  return (DPOP_SCENARIOS as readonly (string | undefined)[]).includes(scenario);
}

/** Runs a DPoP scenario: sign in (once), list the tools, call `test-tool` when there is one. */
export async function runDpopScenario(
  serverUrl: string,
  options: Omit<CimdClientProviderOptions, 'serverUrl'>,
  clientInfo: { name: string; version: string },
): Promise<void> {
  const sdk = await import('@modelcontextprotocol/client');
  const provider = new CimdOAuthClientProvider({ ...options, serverUrl, dpop: true });
  await provider.prepare();
  const authProvider = provider as unknown as OAuthClientProvider;
  const open = async () => {
    const transport = new sdk.StreamableHTTPClientTransport(new URL(serverUrl), { authProvider });
    const client = new sdk.Client(clientInfo);
    await client.connect(transport);
    return client;
  };
  let client: Awaited<ReturnType<typeof open>>;
  try {
    client = await open();
  } catch (error) {
    if (!(error instanceof sdk.UnauthorizedError) || !provider.signInPending) throw error;
    const { code, iss } = await provider.waitForAuthorizationResponse();
    const transport = new sdk.StreamableHTTPClientTransport(new URL(serverUrl), { authProvider });
    await transport.finishAuth(code, iss);
    client = await open();
  }
  await exerciseAndClose(client);
}
