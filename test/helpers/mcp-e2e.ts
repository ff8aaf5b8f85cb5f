/**
 * The loopback world of the end-to-end client tests, set up once per test file: a test CA, an
 * HTTPS host for client documents and JWK Sets (`serveClientMetadata`), our authorization server
 * (`createAuthorizationServer`, memory store, development login), and a real MCP server from
 * either SDK major behind our resource middleware (`requireBearer` from `mcp-cimd/resource/express`,
 * protected-resource metadata), with one tool, `whoami`, that reports the token's client and
 * scopes. Every server listens on 127.0.0.1 and is closed by `close()`.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { McpServer as McpServer1 } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpHandler, type McpHttpHandler, McpServer as McpServer2 } from '@modelcontextprotocol/server';
import express, { type RequestHandler } from 'express';
import { createClientMetadata } from '../../src/document/create.js';
import { type ClientMetadataHandler, serveClientMetadata } from '../../src/host/index.js';
import { protectedResourceMetadataRouter, requireBearer } from '../../src/resource/express.js';
import {
  createAccessTokenVerifier,
  createDpopNonceSource,
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
} from '../../src/resource/index.js';
import type { AuthorizationServerOptions } from '../../src/server/authorization-server/options.js';
import { type AuthorizationServer, createAuthorizationServer, devLogin } from '../../src/server/index.js';
import { createMemoryStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/store.js';
import { mountSseMcpServer } from './mcp-sse.js';
import { createTestCa, type TestCa } from './test-ca.js';

/** The scope the MCP server requires. */
export const E2E_SCOPE = 'mcp:tools';
/** Keep Node's own Request/Response: the SDK clients share this process with the servers. */
const NATIVE_GLOBALS = { overrideGlobalObjects: false } as const;

/** Options of {@link startE2e}. */
export interface E2eOptions {
  /** The MCP server's SDK major: 1 (`@modelcontextprotocol/sdk`) or 2 (`@modelcontextprotocol/server`). */
  mcpSdk: 1 | 2;
  /** DPoP at both servers (nonces at /token and at the MCP server). Default false. */
  dpop?: boolean;
  /**
   * With `mcpSdk: 1`: `sse` serves the MCP server on the HTTP+SSE transport instead
   * (test/helpers/mcp-sse.ts: GET opens the stream, POST to the server URL answers 405).
   * Default `streamable-http`.
   */
  mcpTransport?: 'streamable-http' | 'sse';
  /** More options of the authorization server (e.g. `trustedAssertionIssuers`). */
  authorizationServer?: Partial<AuthorizationServerOptions>;
}

/** One POST to /token as the authorization server answered it. */
export interface TokenExchange {
  form: URLSearchParams;
  status: number;
  body: Record<string, unknown>;
}

/** The running world. */
export interface E2e {
  ca: TestCa;
  /** The document host's origin (`https://localhost:<port>`). */
  documentOrigin: string;
  /** Adds a handler (from `serveClientMetadata`) to the document host. */
  serveDocument(handler: ClientMetadataHandler): void;
  issuer: string;
  as: AuthorizationServer;
  store: Store;
  /** The MCP server URL (the resource). */
  resource: string;
  /** The `/authorize` query of every authorization request, in order. */
  authorizeRequests: URLSearchParams[];
  /** Every token request and its answer, in order. */
  tokenExchanges: TokenExchange[];
  /** Every request to the MCP server: its method and `Authorization` scheme, and the answer's status. */
  mcpRequests: { scheme: string | undefined; hasProof: boolean; status: number }[];
  close(): Promise<void>;
}

/** A plain HTTP server on 127.0.0.1 and its origin. */
export async function listenHttp(): Promise<{ server: Server; origin: string }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Closes `server` and its open connections. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

function whoamiText(auth: { clientId?: string; scopes?: string[] } | undefined): string {
  return JSON.stringify({ clientId: auth?.clientId, scopes: auth?.scopes });
}

/** An SDK 1.x MCP server, stateless: a server and transport per request. */
const sdk1Handler: RequestHandler = async (req, res) => {
  const server = new McpServer1({ name: 'e2e-sdk1', version: '1.0.0' });
  server.registerTool('whoami', { description: 'The client and scopes of the access token' }, (extra) => ({
    content: [{ type: 'text', text: whoamiText(extra.authInfo) }],
  }));
  const transport = new StreamableHTTPServerTransport({});
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
};

/** An SDK 2.x MCP handler (both protocol eras). */
function sdk2Handler(): McpHttpHandler {
  return createMcpHandler(() => {
    const server = new McpServer2({ name: 'e2e-sdk2', version: '2.0.0' });
    server.registerTool('whoami', { description: 'The client and scopes of the access token' }, (ctx) => ({
      content: [{ type: 'text', text: whoamiText(ctx.http?.authInfo) }],
    }));
    return server;
  });
}

/** Starts the world; see the module description. */
export async function startE2e(options: E2eOptions): Promise<E2e> {
  const ca = createTestCa();
  const handlers: ClientMetadataHandler[] = [];
  const documentServer = createHttpsServer(
    { cert: ca.cert, key: ca.key },
    getRequestListener(async (request) => {
      for (const handler of handlers) {
        const response = await handler(request);
        if (response !== undefined) return response;
      }
      return new Response('not found', { status: 404 });
    }, NATIVE_GLOBALS),
  );
  documentServer.listen(0, '127.0.0.1');
  await once(documentServer, 'listening');
  const documentOrigin = `https://localhost:${(documentServer.address() as AddressInfo).port}`;

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
    ...(options.dpop === true ? { dpop: { nonce: true } } : {}),
    ...options.authorizationServer,
  });
  const authorizeRequests: URLSearchParams[] = [];
  const tokenExchanges: TokenExchange[] = [];
  asListener.server.on(
    'request',
    getRequestListener(async (request) => {
      const url = new URL(request.url);
      if (url.pathname === '/authorize') authorizeRequests.push(url.searchParams);
      if (request.method !== 'POST' || url.pathname !== '/token') return as.fetch(request);
      const form = new URLSearchParams(await request.clone().text());
      const response = await as.fetch(request);
      const body = (await response.clone().json()) as Record<string, unknown>;
      tokenExchanges.push({ form, status: response.status, body });
      return response;
    }, NATIVE_GLOBALS),
  );

  const sdk2 = options.mcpSdk === 2 ? sdk2Handler() : undefined;
  const sdk2Node = sdk2 === undefined ? undefined : toNodeHandler(sdk2);
  const mcpRequests: E2e['mcpRequests'] = [];
  const app = express();
  app.use(
    protectedResourceMetadataRouter(
      protectedResourceMetadata({ resource, authorizationServers: [issuer], scopesSupported: [E2E_SCOPE] }),
    ),
  );
  app.use('/mcp', (req, res, next) => {
    const scheme = /^(\S+)\s/.exec(req.headers.authorization ?? '')?.[1];
    const hasProof = req.headers.dpop !== undefined;
    res.on('finish', () => mcpRequests.push({ scheme, hasProof, status: res.statusCode }));
    next();
  });
  const guard = requireBearer({
    verifier: createAccessTokenVerifier({ issuer, audience: resource, jwks: new URL(`${issuer}/jwks`) }),
    resourceMetadataUrl: protectedResourceMetadataUrl(resource),
    requiredScopes: [E2E_SCOPE],
    ...(options.dpop === true
      ? { dpop: { replayStore: store, nonce: createDpopNonceSource({ windowMs: 60_000 }) } }
      : {}),
  });
  if (options.mcpTransport === 'sse') {
    mountSseMcpServer(app, '/mcp', guard, whoamiText);
  } else if (sdk2Node !== undefined) {
    app.all('/mcp', guard, express.json(), (req, res) => void sdk2Node(req, res, req.body));
  } else {
    app.post('/mcp', guard, express.json(), sdk1Handler);
    app.get('/mcp', (_req, res) => {
      res.status(405).set('allow', 'POST').end();
    });
  }
  mcp.server.on('request', app);

  return {
    ca,
    documentOrigin,
    serveDocument: (handler) => {
      handlers.push(handler);
    },
    issuer,
    as,
    store,
    resource,
    authorizeRequests,
    tokenExchanges,
    mcpRequests,
    async close() {
      await sdk2?.close();
      await Promise.all([closeServer(asListener.server), closeServer(mcp.server)]);
      await new Promise<void>((resolve) => {
        documentServer.closeAllConnections();
        documentServer.close(() => resolve());
      });
      await as.close();
      await store.close();
      ca.dispose();
    },
  };
}

/** Serves `document` (and `jwks`, at the document's `jwks_uri`) on the world's document host. */
export function serveDocument(
  e2e: E2e,
  document: Record<string, unknown>,
  jwks?: Record<string, unknown>,
): void {
  e2e.serveDocument(serveClientMetadata({ document, ...(jwks === undefined ? {} : { jwks }) }));
}

/**
 * Serves a public native CIMD document (loopback redirect `http://127.0.0.1/callback`) at
 * `<documentOrigin>/<name>/client.json` on the world's document host; returns its URL.
 */
export function servePublicClient(e2e: E2e, name: string): string {
  const clientId = `${e2e.documentOrigin}/${name}/client.json`;
  const { document } = createClientMetadata({
    clientId,
    clientName: `E2E ${name}`,
    redirectUris: ['http://127.0.0.1/callback'],
    applicationType: 'native',
    allowPrivateNetwork: true,
  });
  serveDocument(e2e, document as unknown as Record<string, unknown>);
  return clientId;
}

/** Calls `whoami` on an SDK 1.x or 2.x client: the token's client and scopes. */
export async function whoami(client: {
  callTool(request: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
}): Promise<{ clientId?: string; scopes?: string[] }> {
  const result = (await client.callTool({ name: 'whoami', arguments: {} })) as {
    content: { type: string; text: string }[];
  };
  return JSON.parse(result.content[0]?.text ?? '{}') as { clientId?: string; scopes?: string[] };
}
