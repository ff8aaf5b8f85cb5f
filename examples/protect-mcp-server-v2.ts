// Protect an MCP server built with the MCP TypeScript SDK 2.x (`@modelcontextprotocol/server`,
// stateless 2026-07-28 lifecycle, with the `@modelcontextprotocol/node` adapter on Express) with
// tokens from a CIMD authorization server such as `cimd serve`. Type-checked with the rest of the
// project; the 1.x version is protect-mcp-server.ts.
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import express from 'express';
import {
  createAccessTokenVerifier,
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
} from 'mcp-cimd/resource';
import { protectedResourceMetadataRouter, requireBearer } from 'mcp-cimd/resource/express';

const issuer = 'http://127.0.0.1:4000'; // the authorization server (cimd serve)
const resource = 'http://127.0.0.1:3000/mcp'; // this MCP server: pass it to `cimd serve --resource`

// One factory serves both eras: 2026-07-28 (stateless, per-request) and 2025 clients.
const handler = createMcpHandler(() => {
  const server = new McpServer({ name: 'example', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who is calling' }, (ctx) => ({
    content: [{ type: 'text', text: JSON.stringify(ctx.http?.authInfo) }],
  }));
  return server;
});
const mcp = toNodeHandler(handler); // forwards req.auth (set by requireBearer) as authInfo

const verifier = createAccessTokenVerifier({ issuer, audience: resource, jwks: new URL(`${issuer}/jwks`) });
const app = express();
app.use(
  protectedResourceMetadataRouter(protectedResourceMetadata({ resource, authorizationServers: [issuer] })),
);
app.all(
  '/mcp',
  requireBearer({ verifier, resourceMetadataUrl: protectedResourceMetadataUrl(resource) }),
  express.json(),
  (req, res) => void mcp(req, res, req.body),
);
app.listen(3000, '127.0.0.1');
