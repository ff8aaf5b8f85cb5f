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
import { handleStatelessSdk1 } from './mcp-sdk1.js';
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
  /**
   * More options of the authorization server (e.g. `trustedAssertionIssuers`), or a function of the
   * world's issuer, resource and store that returns them (for an option that needs the issuer
   * before the server exists, such as an upstream authenticator).
   */
  authorizationServer?:
    | Partial<AuthorizationServerOptions>
    | ((world: {
        issuer: string;
        resource: string;
        store: Store;
      }) => Partial<AuthorizationServerOptions> | Promise<Partial<AuthorizationServerOptions>>);
  /**
   * The clock difference the MCP server tolerates on access tokens, in ms. Default the verifier's
   * (30 000); `0` makes short-lived tokens expire at the MCP server on time.
   */
  clockSkewMs?: number;
  /** With `dpop`: the clock (epoch ms) of the MCP server's DPoP nonces. Default `Date.now`. */
  dpopNonceNow?: () => number;
  /** With `mcpSdk: 1` on Streamable HTTP: registers more tools on each MCP server, next to `whoami`. */
  extraTools?: (server: McpServer1) => void;
}

/** One POST to /token as the authorization server answered it. */
export interface TokenExchange {
  form: URLSearchParams;
  status: number;
  body: Record<string, unknown>;
  /** When the answer was ready, epoch ms. */
  at: number;
}

/** One request to the document host. */
export interface DocumentRequest {
  path: string;
  userAgent: string | null;
  /** When it arrived, epoch ms. */
  at: number;
}

/** How long the MCP server's DPoP nonces live, in ms (with `dpop`). */
export const E2E_DPOP_NONCE_WINDOW_MS = 60_000;

/** The running world. */
export interface E2e {
  ca: TestCa;
  /** The document host's origin (`https://localhost:<port>`). */
  documentOrigin: string;
  /**
   * Adds a handler (from `serveClientMetadata`) to the document host; a handler for a document
   * path served before replaces that one (so a JWK Set can be swapped).
   */
  serveDocument(handler: ClientMetadataHandler): void;
  /** Every request to the document host, in order. */
  documentRequests: DocumentRequest[];
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
  /** The client capabilities of every Streamable HTTP `initialize` request, in order. */
  mcpInitializeCapabilities: unknown[];
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
const sdk1Handler =
  (extraTools: E2eOptions['extraTools']): RequestHandler =>
  async (req, res) => {
    const server = new McpServer1({ name: 'e2e-sdk1', version: '1.0.0' });
    server.registerTool('whoami', { description: 'The client and scopes of the access token' }, (extra) => ({
      content: [{ type: 'text', text: whoamiText(extra.authInfo) }],
    }));
    extraTools?.(server);
    await handleStatelessSdk1(server, req, res, req.body);
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
  if (options.extraTools !== undefined && (options.mcpSdk !== 1 || options.mcpTransport === 'sse')) {
    throw new Error('extraTools needs mcpSdk: 1 on Streamable HTTP');
  }
  const ca = createTestCa();
  const handlers = new Map<string, ClientMetadataHandler>();
  const documentRequests: DocumentRequest[] = [];
  const documentServer = createHttpsServer(
    { cert: ca.cert, key: ca.key },
    getRequestListener(async (request) => {
      const path = new URL(request.url).pathname;
      documentRequests.push({ path, userAgent: request.headers.get('user-agent'), at: Date.now() });
      for (const handler of handlers.values()) {
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
  const more =
    typeof options.authorizationServer === 'function'
      ? await options.authorizationServer({ issuer, resource, store })
      : options.authorizationServer;
  const as = createAuthorizationServer({
    issuer,
    resources: [resource],
    store,
    authenticator: devLogin(),
    clients: { allowPrivateNetwork: true, fetchOptions: { ca: ca.caCert } },
    ...(options.dpop === true ? { dpop: { nonce: true } } : {}),
    ...more,
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
      tokenExchanges.push({ form, status: response.status, body, at: Date.now() });
      return response;
    }, NATIVE_GLOBALS),
  );

  const sdk2 = options.mcpSdk === 2 ? sdk2Handler() : undefined;
  const sdk2Node = sdk2 === undefined ? undefined : toNodeHandler(sdk2);
  const mcpRequests: E2e['mcpRequests'] = [];
  const mcpInitializeCapabilities: unknown[] = [];
  const recordInitialize: RequestHandler = (req, _res, next) => {
    const body = req.body as { method?: string; params?: { capabilities?: unknown } } | undefined;
    if (body?.method === 'initialize') mcpInitializeCapabilities.push(body.params?.capabilities);
    next();
  };
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
    verifier: createAccessTokenVerifier({
      issuer,
      audience: resource,
      jwks: new URL(`${issuer}/jwks`),
      ...(options.clockSkewMs === undefined ? {} : { clockSkewMs: options.clockSkewMs }),
    }),
    resourceMetadataUrl: protectedResourceMetadataUrl(resource),
    requiredScopes: [E2E_SCOPE],
    ...(options.dpop === true
      ? {
          dpop: {
            replayStore: store,
            nonce: createDpopNonceSource({
              windowMs: E2E_DPOP_NONCE_WINDOW_MS,
              ...(options.dpopNonceNow === undefined ? {} : { now: options.dpopNonceNow }),
            }),
          },
        }
      : {}),
  });
  if (options.mcpTransport === 'sse') {
    mountSseMcpServer(app, '/mcp', guard, whoamiText);
  } else if (sdk2Node !== undefined) {
    app.all('/mcp', guard, express.json(), recordInitialize, (req, res) => void sdk2Node(req, res, req.body));
  } else {
    app.post('/mcp', guard, express.json(), recordInitialize, sdk1Handler(options.extraTools));
    app.get('/mcp', (_req, res) => {
      res.status(405).set('allow', 'POST').end();
    });
  }
  mcp.server.on('request', app);

  return {
    ca,
    documentOrigin,
    serveDocument: (handler) => {
      handlers.set(handler.documentPath, handler);
    },
    documentRequests,
    issuer,
    as,
    store,
    resource,
    authorizeRequests,
    tokenExchanges,
    mcpRequests,
    mcpInitializeCapabilities,
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
 * Serves a public native CIMD document at `<documentOrigin>/<name>/client.json` on the world's
 * document host; returns its URL. Its `client_name` defaults to `E2E <name>`, its redirect URIs to
 * the loopback `http://127.0.0.1/callback`.
 */
export function servePublicClient(
  e2e: E2e,
  name: string,
  options: { clientName?: string; redirectUris?: string[] } = {},
): string {
  const clientId = `${e2e.documentOrigin}/${name}/client.json`;
  const { document } = createClientMetadata({
    clientId,
    clientName: options.clientName ?? `E2E ${name}`,
    redirectUris: options.redirectUris ?? ['http://127.0.0.1/callback'],
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
