// Protect an MCP server (MCP TypeScript SDK, Express) with tokens from a CIMD authorization server
// such as `cimd serve`. Type-checked with the rest of the project; shown in the README.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import express from 'express';
import {
  createAccessTokenVerifier,
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
} from 'mcp-cimd/resource';
import {
  protectedResourceMetadataRouter,
  type RequestWithAuth,
  requireBearer,
} from 'mcp-cimd/resource/express';

const issuer = 'http://127.0.0.1:4000'; // the authorization server (cimd serve)
const resource = 'http://127.0.0.1:3000/mcp'; // this MCP server: pass it to `cimd serve --resource`

const verifier = createAccessTokenVerifier({ issuer, audience: resource, jwks: new URL(`${issuer}/jwks`) });
const app = express();
app.use(
  protectedResourceMetadataRouter(protectedResourceMetadata({ resource, authorizationServers: [issuer] })),
);
app.post(
  '/mcp',
  express.json(),
  requireBearer({ verifier, resourceMetadataUrl: protectedResourceMetadataUrl(resource) }),
  async (req, res) => {
    const server = new McpServer({ name: 'example', version: '1.0.0' });
    server.registerTool('whoami', { description: 'Who is calling' }, async () => ({
      content: [{ type: 'text', text: JSON.stringify((req as RequestWithAuth).auth) }],
    }));
    const transport = new StreamableHTTPServerTransport({}); // stateless: no session ids
    res.on('close', () => void transport.close());
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  },
);
app.listen(3000, '127.0.0.1');
