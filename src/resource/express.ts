/**
 * `mcp-cimd/resource/express`: Express adapters for a protected MCP server (the bearer check
 * that sets `req.auth`, the protected-resource metadata router, and `mcpSdkVerifier` for the
 * SDK's own `requireBearerAuth`). Express is an optional peer: only its types are imported.
 * `mcp-cimd/server/express` exports the same functions (aliases until 1.0).
 *
 * ```ts
 * app.use(protectedResourceMetadataRouter(metadata));
 * app.post('/mcp', requireBearer({ verifier, resourceMetadataUrl }), mcpHandler);
 * ```
 *
 * @module
 */

export {
  type AuthInfo,
  type BearerAuthOptions,
  type McpSdkErrorClass,
  type McpSdkErrorClasses,
  mcpSdkVerifier,
  protectedResourceMetadataRouter,
  type RequestWithAuth,
  requireBearer,
  type TokenVerifier,
} from '../server/express.js';
