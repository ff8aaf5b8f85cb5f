/**
 * An SDK 1.x MCP server on the HTTP+SSE transport (`SSEServerTransport`, protocol 2024-11-05)
 * behind a bearer guard, for the end-to-end world (test/helpers/mcp-e2e.ts): `GET <path>` opens
 * the event stream (its first event names `<path>/messages` as the endpoint), `POST
 * <path>/messages?sessionId=...` carries the messages, and `POST <path>` answers 405 after the
 * guard, as an SSE-only server does to a Streamable HTTP client.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import express, { type Express, type RequestHandler } from 'express';

/** Mounts the SSE MCP server at `path` on `app`; `whoamiText` renders the request's token. */
export function mountSseMcpServer(
  app: Express,
  path: string,
  guard: RequestHandler,
  whoamiText: (auth: { clientId?: string; scopes?: string[] } | undefined) => string,
): void {
  const sessions = new Map<string, SSEServerTransport>();
  app.get(path, guard, async (_req, res) => {
    const transport = new SSEServerTransport(`${path}/messages`, res);
    sessions.set(transport.sessionId, transport);
    res.on('close', () => sessions.delete(transport.sessionId));
    const server = new McpServer({ name: 'e2e-sdk1-sse', version: '1.0.0' });
    server.registerTool('whoami', { description: 'The client and scopes of the access token' }, (extra) => ({
      content: [{ type: 'text', text: whoamiText(extra.authInfo) }],
    }));
    await server.connect(transport);
  });
  app.post(`${path}/messages`, guard, express.json(), async (req, res) => {
    const transport = sessions.get(String(req.query.sessionId));
    if (transport === undefined) {
      res.status(404).send('no such session');
      return;
    }
    await transport.handlePostMessage(req, res, req.body);
  });
  app.post(path, guard, (_req, res) => {
    res.status(405).set('allow', 'GET').end();
  });
}
