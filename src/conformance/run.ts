/**
 * One conformance scenario: sign in with the CIMD provider (the suite's fixed document URL, never
 * fetched), headlessly, then list the tools and call `test-tool` when there is one.
 *
 * @module
 */
import { connect } from '../client/connect.js';
import { connectSdk2 } from '../client/connect-sdk2.js';
import { VERSION } from '../version.js';
import { readConformanceContext } from './context.js';
import { isDpopScenario, runDpopScenario } from './dpop.js';
import { exerciseAndClose } from './exercise.js';
import { isExtensionScenario, runExtensionScenario } from './extensions.js';
import { runGeneralScenario } from './general.js';
import { createHeadlessAuthorizer } from './headless.js';

/** The client_id the `auth/basic-cimd` scenario expects. */
export const CONFORMANCE_CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';

/** The redirect URI the (never fetched) conformance document is taken to register. */
export const CONFORMANCE_REDIRECT_URI = 'http://127.0.0.1/callback';

/** Runs one scenario against `serverUrl`. */
export async function runConformanceClient(serverUrl: string): Promise<void> {
  const context = readConformanceContext();
  const clientInfo = { name: 'mcp-cimd-conformance-client', version: VERSION };
  if (context.scenario !== undefined && !context.scenario.startsWith('auth/')) {
    await runGeneralScenario(
      serverUrl,
      context.raw,
      process.env.MCP_CONFORMANCE_PROTOCOL_VERSION,
      clientInfo,
    );
    return;
  }
  if (context.scenario !== undefined && isExtensionScenario(context.scenario)) {
    await runExtensionScenario(serverUrl, context.scenario, context.raw, clientInfo);
    return;
  }
  // At 2026-07-28 the suite's MCP server is stateless (no `initialize`): SDK 2.x speaks it.
  const version = process.env.MCP_CONFORMANCE_PROTOCOL_VERSION;
  const modern = version !== undefined && version >= '2026-07-28';
  const options = {
    clientMetadataUrl: CONFORMANCE_CLIENT_METADATA_URL,
    // The suite's document URL is under .local and is never fetched: say what it would register.
    allowPrivateNetwork: true,
    redirectUris: [CONFORMANCE_REDIRECT_URI],
    clientName: 'mcp-cimd conformance client',
    onAuthorizationUrl: createHeadlessAuthorizer(),
    clientInfo,
    ...(context.preRegistered === undefined ? {} : { preRegistered: context.preRegistered }),
  };
  if (isDpopScenario(context.scenario)) {
    const { clientInfo: _info, ...providerOptions } = options;
    await runDpopScenario(serverUrl, providerOptions, clientInfo);
    return;
  }
  const client = modern
    ? await connectSdk2(serverUrl, { ...options, protocolVersion: version })
    : await connect(serverUrl, options);
  await exerciseAndClose(client);
}
