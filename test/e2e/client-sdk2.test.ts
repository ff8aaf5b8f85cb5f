/**
 * Issue 10, point 2, the client side: our CIMD provider with both SDK majors, end to end on
 * loopback, against our authorization server (`createAuthorizationServer`, memory store,
 * development login) and an MCP server from `@modelcontextprotocol/server` 2.x
 * (`createMcpHandler` behind our `requireBearer`, serving both protocol eras). The client
 * document is served over HTTPS by `serveClientMetadata` with a test CA.
 *
 * - `connectSdk2` (SDK 2.x `Client`, transport and `auth()`) pinned to 2026-07-28 (the stateless
 *   lifecycle): signs in with the document URL as `client_id`; SDK 2.x's `auth()` checks the
 *   metadata issuer and the callback's `iss` again, and gets the issuer-aware hooks (`ctx`).
 * - `connect` (SDK 1.x) against the same servers, with the same provider class.
 * - SDK 2.x's `auth()` driven directly with our provider: `REDIRECT`, then the code and `iss`
 *   from our loopback listener, then `AUTHORIZED`, tokens stamped with our issuer.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { auth as sdk2Auth } from '@modelcontextprotocol/client';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, type McpHttpHandler, McpServer } from '@modelcontextprotocol/server';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/connect.js';
import { connectSdk2 } from '../../src/client/connect-sdk2.js';
import { CimdOAuthClientProvider } from '../../src/client/provider.js';
import type { CimdClientProviderOptions } from '../../src/client/provider-options.js';
import { MemoryTokenStore } from '../../src/client/token-store.js';
import { createClientMetadata } from '../../src/document/create.js';
import { serveClientMetadata } from '../../src/host/index.js';
import { protectedResourceMetadataRouter, requireBearer } from '../../src/server/express.js';
import {
  type AuthorizationServer,
  createAccessTokenVerifier,
  createAuthorizationServer,
  devLogin,
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
} from '../../src/server/index.js';
import { createMemoryStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/store.js';
import { approveAuthorization } from '../helpers/approve.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';

const SCOPE = 'mcp:tools';
/** Keep Node's own Request/Response: the SDK clients share this process with the servers. */
const NATIVE_GLOBALS = { overrideGlobalObjects: false } as const;

async function listenHttp(): Promise<{ server: Server; origin: string }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

function mcpHandler(): McpHttpHandler {
  return createMcpHandler(() => {
    const server = new McpServer({ name: 'e2e-client-sdk2', version: '2.0.0' });
    server.registerTool('whoami', { description: 'Reports the client of the access token' }, (ctx) => ({
      content: [{ type: 'text', text: JSON.stringify({ clientId: ctx.http?.authInfo?.clientId }) }],
    }));
    return server;
  });
}

interface Env {
  ca: TestCa;
  documentServer: Server;
  clientId: string;
  store: Store;
  as: AuthorizationServer;
  asServer: Server;
  issuer: string;
  mcpServer: Server;
  handler: McpHttpHandler;
  resource: string;
  authorizeRequests: URLSearchParams[];
}

let env: Env;

beforeAll(async () => {
  const ca = createTestCa();
  const documentServer = createHttpsServer({ cert: ca.cert, key: ca.key });
  documentServer.listen(0, '127.0.0.1');
  await once(documentServer, 'listening');
  const clientId = `https://localhost:${(documentServer.address() as AddressInfo).port}/oauth/client.json`;
  const { document } = createClientMetadata({
    clientId,
    clientName: 'E2E SDK 2.x client',
    redirectUris: ['http://127.0.0.1/callback'],
    applicationType: 'native',
    allowPrivateNetwork: true,
  });
  const documents = serveClientMetadata({ document });
  documentServer.on(
    'request',
    getRequestListener(
      async (request) => (await documents(request)) ?? new Response('not found', { status: 404 }),
      NATIVE_GLOBALS,
    ),
  );

  const mcp = await listenHttp();
  const resource = `${mcp.origin}/mcp`;
  const asListener = await listenHttp();
  const issuer = asListener.origin;
  const store = createMemoryStore();
  const as = createAuthorizationServer({
    issuer,
    resources: [resource],
    store,
    authenticator: devLogin(),
    clients: { allowPrivateNetwork: true, fetchOptions: { ca: ca.caCert } },
  });
  const authorizeRequests: URLSearchParams[] = [];
  asListener.server.on(
    'request',
    getRequestListener((request) => {
      const url = new URL(request.url);
      if (url.pathname === '/authorize') authorizeRequests.push(url.searchParams);
      return as.fetch(request);
    }, NATIVE_GLOBALS),
  );

  const handler = mcpHandler();
  const node = toNodeHandler(handler);
  const app = express();
  app.use(
    protectedResourceMetadataRouter(
      protectedResourceMetadata({ resource, authorizationServers: [issuer], scopesSupported: [SCOPE] }),
    ),
  );
  app.all(
    '/mcp',
    requireBearer({
      verifier: createAccessTokenVerifier({ issuer, audience: resource, jwks: new URL(`${issuer}/jwks`) }),
      resourceMetadataUrl: protectedResourceMetadataUrl(resource),
      requiredScopes: [SCOPE],
    }),
    express.json(),
    (req, res) => void node(req, res, req.body),
  );
  mcp.server.on('request', app);

  env = {
    ca,
    documentServer,
    clientId,
    store,
    as,
    asServer: asListener.server,
    issuer,
    mcpServer: mcp.server,
    handler,
    resource,
    authorizeRequests,
  };
});

afterAll(async () => {
  if (env === undefined) return;
  await env.handler.close();
  await Promise.all([closeServer(env.asServer), closeServer(env.mcpServer), closeServer(env.documentServer)]);
  await env.as.close();
  await env.store.close();
  env.ca.dispose();
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

async function whoami(client: {
  callTool(request: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
}): Promise<unknown> {
  const result = (await client.callTool({ name: 'whoami', arguments: {} })) as {
    content: { type: string; text: string }[];
  };
  return JSON.parse(result.content[0]?.text ?? '{}');
}

describe('the CIMD provider with @modelcontextprotocol/client 2.x', () => {
  it('connectSdk2 pinned to 2026-07-28: signs in with the document URL (stateless lifecycle)', async () => {
    const before = env.authorizeRequests.length;
    const client = await connectSdk2(env.resource, { ...providerOptions(), protocolVersion: '2026-07-28' });
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      expect(await whoami(client)).toEqual({ clientId: env.clientId });
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
      const result = (await client.callTool({ name: 'whoami', arguments: {} })) as {
        content: { type: string; text: string }[];
      };
      expect(JSON.parse(result.content[0]?.text ?? '{}')).toEqual({ clientId: env.clientId });
    } finally {
      await client.close();
    }
  });
});
