/**
 * The demo MCP server: the MCP SDK's `McpServer` on its web-standard Streamable HTTP transport
 * (stateless: one server per request), on Hono, protected the way an MCP server should be:
 * protected-resource metadata (RFC 9728) at its well-known path, naming the authorization
 * server, and our bearer middleware on `/mcp`, which answers a request without a valid token
 * with 401 and `WWW-Authenticate: Bearer resource_metadata="…"`. Access tokens are verified
 * against the authorization server's `/jwks`, for this resource only. With `sdk: 2` the same
 * tools run on the MCP SDK 2.x (`mcp-server-v2.ts`) behind the same middleware.
 *
 * @module
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { createAccessTokenVerifier } from '../server/resource/bearer.js';
import { type BearerAuthEnv, bearerAuth, protectedResourceMetadataRoute } from '../server/resource/hono.js';
import {
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
} from '../server/resource/protected-resource-metadata.js';
import { VERSION } from '../version.js';
import { type DemoToolDependencies, registerDemoTools } from './tools.js';

/** Options of {@link createDemoMcpApp}. */
export interface DemoMcpServerOptions {
  /** The MCP server's URL: its resource identifier (`http://127.0.0.1:4001/mcp`). */
  resource: string;
  /** The authorization server's issuer. */
  issuer: string;
  /** The authorization server's JWK Set URL. */
  jwksUri: string;
  /** What the tools need. */
  tools: DemoToolDependencies;
  /**
   * The MCP SDK major the server is built with: `1` (`@modelcontextprotocol/sdk`, the 2025
   * lifecycle) or `2` (`@modelcontextprotocol/server`, the stateless 2026-07-28 lifecycle, which
   * also serves 2025 clients). Default `1`. The 2.x package is loaded only when asked for.
   */
  sdk?: 1 | 2;
}

/** The Hono app of the demo MCP server. */
export function createDemoMcpApp(options: DemoMcpServerOptions): Hono<BearerAuthEnv> {
  const path = new URL(options.resource).pathname;
  const app = new Hono<BearerAuthEnv>();
  protectedResourceMetadataRoute(
    app,
    protectedResourceMetadata({
      resource: options.resource,
      authorizationServers: [options.issuer],
      resourceName: 'mcp-cimd demo MCP server',
    }),
  );
  app.use(
    path,
    cors({
      origin: '*',
      allowMethods: ['POST', 'GET', 'DELETE', 'OPTIONS'],
      allowHeaders: [
        'Authorization',
        'Content-Type',
        'Accept',
        'Mcp-Protocol-Version',
        'Mcp-Session-Id',
        'Mcp-Method',
        'Mcp-Name',
      ],
      exposeHeaders: ['WWW-Authenticate', 'Mcp-Session-Id', 'Mcp-Protocol-Version'],
    }),
  );
  app.use(
    path,
    bearerAuth({
      verifier: createAccessTokenVerifier({
        issuer: options.issuer,
        audience: options.resource,
        jwks: options.jwksUri,
      }),
      resourceMetadataUrl: protectedResourceMetadataUrl(options.resource),
    }),
  );
  if (options.sdk === 2) {
    const handler = import('./mcp-server-v2.js').then((v2) => v2.createDemoMcpHandler(options.tools));
    handler.catch(() => {}); // without the 2.x package: each request fails (500), the process does not
    app.all(path, async (c) => (await handler).fetch(c.req.raw, { authInfo: c.get('auth') }));
    return app;
  }
  app.post(path, async (c) => {
    const server = new McpServer({ name: 'mcp-cimd-demo', version: VERSION });
    registerDemoTools(server, options.tools);
    const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true });
    await server.connect(transport);
    try {
      return await transport.handleRequest(c.req.raw, { authInfo: c.get('auth') });
    } finally {
      await server.close();
    }
  });
  app.on(['GET', 'DELETE'], path, (c) =>
    c.json(
      {
        jsonrpc: '2.0',
        error: { code: -32000, message: 'this stateless server answers POST only' },
        id: null,
      },
      405,
      { allow: 'POST' },
    ),
  );
  return app;
}
