/**
 * A real MCP server from the SDK (McpServer + StreamableHTTPServerTransport on Express, on
 * 127.0.0.1) protected (a) by our `requireBearer` and (b) by the SDK's own `requireBearerAuth`
 * with our verifier; the SDK Client calls its tool with a token from our signing keys.
 */
import type { Server } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import express, { type RequestHandler } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  mcpSdkVerifier,
  protectedResourceMetadataRouter,
  requireBearer,
} from '../../../src/server/express.js';
import { createAccessTokenVerifier } from '../../../src/server/resource/bearer.js';
import {
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
} from '../../../src/server/resource/protected-resource-metadata.js';
import { handleStatelessSdk1 } from '../../helpers/mcp-sdk1.js';
import { authorizationServer, CLIENT_ID, close, ISSUER, listen, OTHER_RESOURCE } from './helpers.js';

const as = authorizationServer();

/** One stateless MCP server per request, with a `whoami` tool reporting what the token said. */
const mcpHandler: RequestHandler = async (req, res) => {
  const server = new McpServer({ name: 'protected-test-server', version: '1.0.0' });
  server.registerTool(
    'whoami',
    { description: 'Reports the client and scopes of the access token' },
    (extra) => ({
      content: [
        {
          type: 'text',
          text: JSON.stringify({ clientId: extra.authInfo?.clientId, scopes: extra.authInfo?.scopes }),
        },
      ],
    }),
  );
  await handleStatelessSdk1(server, req, res, req.body);
};

interface Protected {
  server: Server;
  resource: string;
  metadataUrl: string;
}

/** Starts the MCP server at `<origin>/mcp`, guarded by `guard(resource, metadataUrl)`. */
async function startProtectedServer(
  guard: (resource: string, metadataUrl: string) => RequestHandler,
): Promise<Protected> {
  const { server, origin } = await listen();
  const resource = `${origin}/mcp`;
  const metadataUrl = protectedResourceMetadataUrl(resource);
  const app = express();
  app.use(
    protectedResourceMetadataRouter(protectedResourceMetadata({ resource, authorizationServers: [ISSUER] })),
  );
  app.use(express.json());
  const check = guard(resource, metadataUrl);
  app.post('/mcp', check, mcpHandler);
  app.all('/mcp', check, (_req, res) => {
    res.status(405).set('Allow', 'POST').end();
  });
  server.on('request', app);
  return { server, resource, metadataUrl };
}

async function connectClient(resource: string, token: string): Promise<Client> {
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(resource), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

const initialize = (resource: string, headers: Record<string, string> = {}) =>
  fetch(resource, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });

const variants: [string, (resource: string, metadataUrl: string) => Promise<RequestHandler>][] = [
  [
    '(a) our Express requireBearer',
    async (resource, metadataUrl) =>
      requireBearer({
        verifier: createAccessTokenVerifier({
          issuer: ISSUER,
          audience: resource,
          jwks: await as.keys.publicJwks(),
        }),
        resourceMetadataUrl: metadataUrl,
        requiredScopes: ['mcp:tools'],
      }),
  ],
  [
    "(b) the SDK's requireBearerAuth with our verifier",
    async (resource, metadataUrl) =>
      requireBearerAuth({
        verifier: mcpSdkVerifier(
          createAccessTokenVerifier({ issuer: ISSUER, audience: resource, jwks: await as.keys.publicJwks() }),
        ),
        resourceMetadataUrl: metadataUrl,
        requiredScopes: ['mcp:tools'],
        expectedResource: new URL(resource),
      }),
  ],
];

describe.each(variants)('a real MCP SDK server protected by %s', (_name, makeGuard) => {
  let target: Protected;

  beforeAll(async () => {
    const pending: Promise<RequestHandler>[] = [];
    let guard: RequestHandler | undefined;
    target = await startProtectedServer((resource, metadataUrl) => {
      pending.push(makeGuard(resource, metadataUrl).then((made) => (guard = made)));
      return (req, res, next) => (guard as RequestHandler)(req, res, next);
    });
    await Promise.all(pending);
  });

  afterAll(async () => {
    await close(target.server);
  });

  it('MCP-RS-02: without a token -> 401 with WWW-Authenticate: Bearer resource_metadata="…"', async () => {
    const response = await initialize(target.resource);
    expect(response.status).toBe(401);
    const header = response.headers.get('www-authenticate') ?? '';
    expect(header).toMatch(/^Bearer /);
    expect(header).toContain(`resource_metadata="${target.metadataUrl}"`);
    expect(header).toContain('scope="mcp:tools"'); // MCP-RS-03
  });

  it('DISC-01, MCP-RS-01: the metadata is served at the well-known URL', async () => {
    const response = await fetch(target.metadataUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(await response.json()).toMatchObject({
      resource: target.resource,
      authorization_servers: [ISSUER],
    });
  });

  it('RES-03: with a valid token the SDK Client lists and calls the tool, which sees the AuthInfo', async () => {
    const client = await connectClient(target.resource, await as.issue({ audience: target.resource }));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(['whoami']);
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      const [content] = result.content as { type: string; text: string }[];
      expect(JSON.parse(content!.text)).toEqual({ clientId: CLIENT_ID, scopes: ['mcp:tools'] });
    } finally {
      await client.close();
    }
  });

  it('MCP-RS-04: a token for another audience -> 401 invalid_token (and the SDK Client cannot connect)', async () => {
    const token = await as.issue({ audience: OTHER_RESOURCE });
    const response = await initialize(target.resource, { Authorization: `Bearer ${token}` });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    await expect(connectClient(target.resource, token)).rejects.toThrow();
  });

  it('MCP-RS-06: a token without the required scope -> 403 insufficient_scope', async () => {
    const token = await as.issue({ audience: target.resource, scope: 'mcp:read' });
    const response = await initialize(target.resource, { Authorization: `Bearer ${token}` });
    expect(response.status).toBe(403);
    const header = response.headers.get('www-authenticate') ?? '';
    expect(header).toContain('error="insufficient_scope"');
    expect(header).toContain('scope="mcp:tools"');
    expect(header).toContain(`resource_metadata="${target.metadataUrl}"`);
  });
});

describe('Express requireBearer specifics', () => {
  let target: Protected;
  beforeAll(async () => {
    const jwks = await as.keys.publicJwks();
    target = await startProtectedServer((resource, metadataUrl) =>
      requireBearer({
        verifier: createAccessTokenVerifier({ issuer: ISSUER, audience: resource, jwks }),
        resourceMetadataUrl: metadataUrl,
      }),
    );
  });
  afterAll(async () => {
    await close(target.server);
  });

  it('MCP-C-20: refuses a token in the query string', async () => {
    const token = await as.issue({ audience: target.resource });
    const response = await initialize(`${target.resource}?access_token=${token}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_request"');
  });

  it('refuses two Authorization header lines (Node keeps only the first in req.headers)', async () => {
    const token = await as.issue({ audience: target.resource });
    const { request } = await import('node:http');
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(target.resource, {
        method: 'POST',
        headers: [
          'Authorization',
          `Bearer ${token}`,
          'Authorization',
          'Bearer other',
          'Content-Type',
          'application/json',
        ],
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(400);
  });

  it('the metadata router answers the CORS preflight and 405 for other methods', async () => {
    const preflight = await fetch(target.metadataUrl, {
      method: 'OPTIONS',
      headers: {
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'mcp-protocol-version',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toBe('mcp-protocol-version');
    expect((await fetch(target.metadataUrl, { method: 'DELETE' })).status).toBe(405);
  });
});
