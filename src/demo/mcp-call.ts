/**
 * The demo client's MCP call: connects to the demo MCP server with the MCP SDK's Streamable HTTP
 * client, presenting the access token as a bearer token, and calls one tool.
 *
 * @module
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { VERSION } from '../version.js';

/** Calls `tool` on the MCP server at `mcpUrl` with `accessToken`; resolves with its text output. */
export async function callTool(
  mcpUrl: string,
  accessToken: string,
  tool: string,
  args: Record<string, unknown> = {},
): Promise<string> {
  const client = new Client({ name: 'mcp-cimd-demo-client', version: VERSION });
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
    requestInit: { headers: { authorization: `Bearer ${accessToken}` } },
  });
  await client.connect(transport);
  try {
    const result = await client.callTool({ name: tool, arguments: args });
    const content = Array.isArray(result.content) ? result.content : [];
    return content
      .map((item: { type?: unknown; text?: unknown }) => (item.type === 'text' ? String(item.text) : ''))
      .join('\n');
  } finally {
    await client.close();
  }
}
