/**
 * The demo MCP server on the MCP SDK 2.x (`startDemo({ mcpSdk: 2 })`, issue 10 point 2): the
 * same tools behind the same bearer middleware, served by `createMcpHandler` with the stateless
 * 2026-07-28 lifecycle; an SDK 2.x client pinned to 2026-07-28 and a 2025-era client both call
 * `whoami` with a token from the demo's authorization server; no token is 401 with the challenge.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Demo, startDemo } from '../../src/demo/start.js';
import { issueAccessToken } from '../../src/server/tokens/access-token.js';

let demo: Demo;
beforeAll(async () => {
  demo = await startDemo({ port: 0, mcpSdk: 2 });
});
afterAll(async () => {
  await demo?.close();
});

async function token(): Promise<string> {
  const { token } = await issueAccessToken(demo.authorizationServer.server.context.signingKeys, {
    issuer: demo.urls.issuer,
    subject: 'local-developer',
    clientId: demo.clients.public.clientId,
    audience: demo.urls.mcp,
    scope: 'mcp:tools',
  });
  return token;
}

async function connect(modern: boolean): Promise<Client> {
  const client = new Client(
    { name: 'demo-v2-test', version: '1.0.0' },
    modern ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(demo.urls.mcp), {
      requestInit: { headers: { Authorization: `Bearer ${await token()}` } },
    }),
  );
  return client;
}

function textOf(result: { content?: unknown }): string {
  const [content] = result.content as { type: string; text: string }[];
  return content?.text ?? '';
}

describe('the demo MCP server on @modelcontextprotocol/server 2.x', () => {
  it('MCP-RS-02: without a token -> 401 with WWW-Authenticate: Bearer resource_metadata="…"', async () => {
    const response = await fetch(demo.urls.mcp, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${demo.urls.protectedResourceMetadata}"`,
    );
  });

  it.each([
    ['a 2026-07-28 client (stateless lifecycle)', true, 'modern'],
    ['a 2025-era client (stateless fallback)', false, 'legacy'],
  ] as const)('%s lists the tools and whoami sees the token', async (_name, modern, era) => {
    const client = await connect(modern);
    try {
      expect(client.getProtocolEra()).toBe(era);
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['validate_client_metadata', 'whoami']);
      const whoami = JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} })));
      expect(whoami).toMatchObject({
        client_id: demo.clients.public.clientId,
        scopes: ['mcp:tools'],
        resource: demo.urls.mcp,
      });
      const validated = await client.callTool({
        name: 'validate_client_metadata',
        arguments: { document: '{"client_id":"https://app.example.com/client.json"}' },
      });
      expect(JSON.parse(textOf(validated))).toMatchObject({ valid: false });
    } finally {
      await client.close();
    }
  });
});
