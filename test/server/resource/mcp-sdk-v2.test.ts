/**
 * Issue 10, point 2: the resource-server middleware of `mcp-cimd/resource` in front of a real
 * MCP server built with `@modelcontextprotocol/server` 2.x (`createMcpHandler`, the stateless
 * 2026-07-28 lifecycle: no `initialize`, `server/discover` and a per-request `_meta` envelope),
 * on 127.0.0.1: (a) Express with our `requireBearer` and `toNodeHandler` from
 * `@modelcontextprotocol/node`, (b) Hono with our `bearerAuth` and the handler's web-standard
 * `fetch`. A token from our authorization server's signing keys is accepted and its `AuthInfo`
 * reaches the tool handler (`ctx.http.authInfo`); a missing or invalid one gets 401 with
 * `WWW-Authenticate: Bearer resource_metadata="…"`. The v1 SDK test is express-mcp.test.ts.
 */
import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, type McpHttpHandler, McpServer } from '@modelcontextprotocol/server';
import express from 'express';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protectedResourceMetadataRouter, requireBearer } from '../../../src/resource/express.js';
import {
  type BearerAuthEnv,
  bearerAuth,
  createAccessTokenVerifier,
  protectedResourceMetadata,
  protectedResourceMetadataRoute,
  protectedResourceMetadataUrl,
} from '../../../src/resource/index.js';
import { authorizationServer, CLIENT_ID, close, ISSUER, listen, OTHER_RESOURCE } from './helpers.js';

const as = authorizationServer();

/** The one factory both eras use: a `whoami` tool reporting what the token said. */
function mcpHandler(): McpHttpHandler {
  return createMcpHandler(() => {
    const server = new McpServer({ name: 'protected-v2-server', version: '2.0.0' });
    server.registerTool(
      'whoami',
      { description: 'Reports the client, subject and scopes of the token' },
      (ctx) => {
        const auth = ctx.http?.authInfo;
        return {
          content: [
            {
              type: 'text',
              text: JSON.stringify({ clientId: auth?.clientId, scopes: auth?.scopes, extra: auth?.extra }),
            },
          ],
        };
      },
    );
    return server;
  });
}

interface Protected {
  server: Server;
  resource: string;
  metadataUrl: string;
  handler: McpHttpHandler;
}

type Mount = (resource: string, metadataUrl: string, handler: McpHttpHandler) => Promise<Server>;

const mounts: [string, Mount][] = [
  [
    '(a) Express: our requireBearer + toNodeHandler (@modelcontextprotocol/node)',
    async (resource, metadataUrl, handler) => {
      const app = express();
      app.use(
        protectedResourceMetadataRouter(
          protectedResourceMetadata({ resource, authorizationServers: [ISSUER] }),
        ),
      );
      const verifier = createAccessTokenVerifier({
        issuer: ISSUER,
        audience: resource,
        jwks: await as.keys.publicJwks(),
      });
      const node = toNodeHandler(handler);
      app.all(
        '/mcp',
        requireBearer({ verifier, resourceMetadataUrl: metadataUrl, requiredScopes: ['mcp:tools'] }),
        express.json(),
        (req, res) => void node(req, res, req.body),
      );
      return createServer(app);
    },
  ],
  [
    '(b) Hono: our bearerAuth + the handler’s web-standard fetch',
    async (resource, metadataUrl, handler) => {
      const app = new Hono<BearerAuthEnv>();
      protectedResourceMetadataRoute(
        app,
        protectedResourceMetadata({ resource, authorizationServers: [ISSUER] }),
      );
      const verifier = createAccessTokenVerifier({
        issuer: ISSUER,
        audience: resource,
        jwks: await as.keys.publicJwks(),
      });
      app.use(
        '/mcp',
        bearerAuth({ verifier, resourceMetadataUrl: metadataUrl, requiredScopes: ['mcp:tools'] }),
      );
      app.all('/mcp', (c) => handler.fetch(c.req.raw, { authInfo: c.var.auth }));
      return createServer(getRequestListener(app.fetch));
    },
  ],
];

async function start(mount: Mount): Promise<Protected> {
  // Listen first to learn the port (the resource URL), then attach the app.
  const { server, origin } = await listen();
  const resource = `${origin}/mcp`;
  const metadataUrl = protectedResourceMetadataUrl(resource);
  const handler = mcpHandler();
  const app = await mount(resource, metadataUrl, handler);
  server.on('request', (req, res) => app.emit('request', req, res));
  return { server, resource, metadataUrl, handler };
}

/** An SDK 2.x client pinned to the 2026-07-28 revision (stateless lifecycle, no `initialize`). */
async function connectModern(resource: string, token: string | undefined): Promise<Client> {
  const client = new Client(
    { name: 'v2-test-client', version: '2.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  const transport = new StreamableHTTPClientTransport(new URL(resource), {
    requestInit: token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

/** A raw 2026-07-28 `server/discover` POST (what a modern client sends first). */
const discover = (resource: string, headers: Record<string, string> = {}) =>
  fetch(resource, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'MCP-Protocol-Version': '2026-07-28',
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'server/discover',
      params: {
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientCapabilities': {},
          'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
        },
      },
    }),
  });

describe.each(mounts)('an MCP server from @modelcontextprotocol/server 2.x behind %s', (_name, mount) => {
  let target: Protected;
  beforeAll(async () => {
    target = await start(mount);
  });
  afterAll(async () => {
    await target.handler.close();
    await close(target.server);
  });

  it('MCP-RS-02: without a token -> 401 with WWW-Authenticate: Bearer resource_metadata="…"', async () => {
    const response = await discover(target.resource);
    expect(response.status).toBe(401);
    const header = response.headers.get('www-authenticate') ?? '';
    expect(header).toMatch(/^Bearer /);
    expect(header).toContain(`resource_metadata="${target.metadataUrl}"`);
    await expect(connectModern(target.resource, undefined)).rejects.toThrow();
  });

  it('MCP-RS-04: an invalid token (another audience, or garbage) -> 401 invalid_token with resource_metadata', async () => {
    for (const token of [await as.issue({ audience: OTHER_RESOURCE }), 'not-a-jwt']) {
      const response = await discover(target.resource, { Authorization: `Bearer ${token}` });
      expect(response.status).toBe(401);
      const header = response.headers.get('www-authenticate') ?? '';
      expect(header).toContain('error="invalid_token"');
      expect(header).toContain(`resource_metadata="${target.metadataUrl}"`);
    }
  });

  it('DISC-01: the protected-resource metadata names our authorization server', async () => {
    const response = await fetch(target.metadataUrl);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      resource: target.resource,
      authorization_servers: [ISSUER],
    });
  });

  it('RES-03: with our token a 2026-07-28 client (stateless lifecycle) calls the tool, which sees the AuthInfo', async () => {
    const client = await connectModern(target.resource, await as.issue({ audience: target.resource }));
    try {
      expect(client.getProtocolEra()).toBe('modern');
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(['whoami']);
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      const [content] = result.content as { type: string; text: string }[];
      expect(JSON.parse(content?.text ?? '{}')).toMatchObject({ clientId: CLIENT_ID, scopes: ['mcp:tools'] });
    } finally {
      await client.close();
    }
  });

  it('the same handler serves a 2025-era (legacy, stateless) client with the same token', async () => {
    const client = new Client({ name: 'legacy-client', version: '1.0.0' });
    const token = await as.issue({ audience: target.resource });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(target.resource), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    try {
      expect(client.getProtocolEra()).toBe('legacy');
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      const [content] = result.content as { type: string; text: string }[];
      expect(JSON.parse(content?.text ?? '{}')).toMatchObject({ clientId: CLIENT_ID });
    } finally {
      await client.close();
    }
  });

  it('MCP-RS-06: a token without the required scope -> 403 insufficient_scope', async () => {
    const token = await as.issue({ audience: target.resource, scope: 'mcp:read' });
    const response = await discover(target.resource, { Authorization: `Bearer ${token}` });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });
});
