/**
 * Issue 10, point 2, the client side: our CIMD provider with both SDK majors, end to end on
 * loopback, against our authorization server (`createAuthorizationServer`, memory store,
 * development login) and an MCP server from `@modelcontextprotocol/server` 2.x
 * (`createMcpHandler` behind our `requireBearer`, serving both protocol eras), set up by
 * test/helpers/mcp-e2e.ts. The client document is served over HTTPS by `serveClientMetadata`
 * with a test CA.
 *
 * - `connectSdk2` (SDK 2.x `Client`, transport and `auth()`) pinned to 2026-07-28 (the stateless
 *   lifecycle): signs in with the document URL as `client_id`; SDK 2.x's `auth()` checks the
 *   metadata issuer and the callback's `iss` again, and gets the issuer-aware hooks (`ctx`).
 * - `connect` (SDK 1.x) against the same servers, with the same provider class.
 * - SDK 2.x's `auth()` driven directly with our provider: `REDIRECT`, then the code and `iss`
 *   from our loopback listener, then `AUTHORIZED`, tokens stamped with our issuer.
 */
import { auth as sdk2Auth } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/connect.js';
import { connectSdk2 } from '../../src/client/connect-sdk2.js';
import { CimdOAuthClientProvider } from '../../src/client/provider.js';
import type { CimdClientProviderOptions } from '../../src/client/provider-options.js';
import { MemoryTokenStore } from '../../src/client/token-store.js';
import { createClientMetadata } from '../../src/document/create.js';
import { approveAuthorization } from '../helpers/approve.js';
import { type E2e, E2E_SCOPE as SCOPE, serveDocument, startE2e, whoami } from '../helpers/mcp-e2e.js';

let env: E2e & { clientId: string };

beforeAll(async () => {
  const e2e = await startE2e({ mcpSdk: 2 });
  const clientId = `${e2e.documentOrigin}/oauth/client.json`;
  const { document } = createClientMetadata({
    clientId,
    clientName: 'E2E SDK 2.x client',
    redirectUris: ['http://127.0.0.1/callback'],
    applicationType: 'native',
    allowPrivateNetwork: true,
  });
  serveDocument(e2e, document as unknown as Record<string, unknown>);
  env = Object.assign(e2e, { clientId });
});

afterAll(async () => {
  await env?.close();
});

/** The user at the browser: approves, and checks the callback carried our issuer. */
async function approve(authorizationUrl: URL): Promise<void> {
  const { callback, status } = await approveAuthorization(authorizationUrl);
  expect(callback.searchParams.get('iss')).toBe(env.issuer);
  expect(status, 'the provider accepted the callback').toBe(200);
}

function providerOptions(): Omit<CimdClientProviderOptions, 'serverUrl'> {
  return {
    clientMetadataUrl: env.clientId,
    onAuthorizationUrl: approve,
    allowPrivateNetwork: true,
    fetchOptions: { ca: env.ca.caCert },
    callbackTimeoutMs: 10_000,
  };
}

describe('the CIMD provider with @modelcontextprotocol/client 2.x', () => {
  it('connectSdk2 pinned to 2026-07-28: signs in with the document URL (stateless lifecycle)', async () => {
    const before = env.authorizeRequests.length;
    const client = await connectSdk2(env.resource, { ...providerOptions(), protocolVersion: '2026-07-28' });
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      expect(await whoami(client)).toEqual({ clientId: env.clientId, scopes: [SCOPE] });
      const requests = env.authorizeRequests.slice(before);
      expect(requests).toHaveLength(1);
      expect(requests[0]?.get('client_id')).toBe(env.clientId);
      expect(requests[0]?.get('resource')).toBe(env.resource);
      expect(requests[0]?.get('scope')?.split(' ')).toContain(SCOPE);
    } finally {
      await client.close();
    }
  });

  it("SDK 2.x's auth() with our provider: REDIRECT, then the code and iss from our listener, then AUTHORIZED", async () => {
    const store = new MemoryTokenStore();
    const provider = new CimdOAuthClientProvider({ ...providerOptions(), serverUrl: env.resource, store });
    await provider.prepare();
    const sdkProvider = provider as unknown as Parameters<typeof sdk2Auth>[0];
    expect(await sdk2Auth(sdkProvider, { serverUrl: env.resource })).toBe('REDIRECT');
    expect(provider.signInIssuer).toBe(env.issuer);
    const { code, iss } = await provider.waitForAuthorizationResponse();
    expect(iss).toBe(env.issuer);
    expect(
      await sdk2Auth(sdkProvider, {
        serverUrl: env.resource,
        authorizationCode: code,
        ...(iss === undefined ? {} : { iss }),
      }),
    ).toBe('AUTHORIZED');
    const tokens = await provider.tokens({ issuer: env.issuer });
    expect(tokens?.access_token).toEqual(expect.any(String));
    expect(tokens?.issuer).toBe(env.issuer);
  });
});

describe('the same provider with @modelcontextprotocol/sdk 1.x', () => {
  it('connect (2025 lifecycle) signs in with the document URL against the same servers', async () => {
    const client = await connect(env.resource, providerOptions());
    try {
      expect(await whoami(client)).toEqual({ clientId: env.clientId, scopes: [SCOPE] });
    } finally {
      await client.close();
    }
  });
});
