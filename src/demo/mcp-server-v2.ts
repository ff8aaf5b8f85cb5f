/**
 * The demo MCP server on the MCP SDK 2.x (`@modelcontextprotocol/server`): the same tools as the
 * 1.x server, served by `createMcpHandler` (the stateless 2026-07-28 lifecycle, with the
 * stateless 2025 fallback for older clients). Loaded only when the demo is asked for SDK 2.x, so
 * the 2.x package stays an optional peer.
 *
 * @module
 */
import { createMcpHandler, type McpHttpHandler, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { VERSION } from '../version.js';
import {
  DEMO_TOOL_CONFIGS,
  type DemoToolDependencies,
  UPSTREAM_WHOAMI_TOOL,
  upstreamWhoamiTool,
  VALIDATE_INPUT_SHAPE,
  validateClientMetadataTool,
  whoamiTool,
} from './tools.js';

/** The demo tools on one SDK 2.x server instance. */
function demoServer(dependencies: DemoToolDependencies): McpServer {
  const server = new McpServer({ name: 'mcp-cimd-demo', version: VERSION });
  const { upstream } = dependencies;
  if (upstream !== undefined) {
    server.registerTool(UPSTREAM_WHOAMI_TOOL, DEMO_TOOL_CONFIGS[UPSTREAM_WHOAMI_TOOL], (ctx) =>
      upstreamWhoamiTool(upstream, ctx.http?.authInfo),
    );
  }
  server.registerTool('whoami', DEMO_TOOL_CONFIGS.whoami, (ctx) => whoamiTool(ctx.http?.authInfo));
  server.registerTool(
    'validate_client_metadata',
    { ...DEMO_TOOL_CONFIGS.validate_client_metadata, inputSchema: z.object(VALIDATE_INPUT_SHAPE) },
    (input) => validateClientMetadataTool(input, dependencies),
  );
  return server;
}

/** The web-standard MCP handler of the demo on SDK 2.x (JSON responses, never a stream). */
export function createDemoMcpHandler(dependencies: DemoToolDependencies): McpHttpHandler {
  return createMcpHandler(() => demoServer(dependencies), { responseMode: 'json' });
}
