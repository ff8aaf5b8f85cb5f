/**
 * `mcp-cimd/host`: host a client metadata document and its JWKS correctly, from any runtime with
 * the Fetch API (a web-standard `Request -> Response` handler) or from Hono; the Express adapter
 * is `mcp-cimd/host/express`. The handler refuses to serve a document anywhere but at its
 * `client_id`.
 *
 * ```ts
 * import { serveClientMetadata } from 'mcp-cimd/host';
 * const host = serveClientMetadata({ document, jwks });
 * export default { fetch: host.fetch };
 * ```
 *
 * @module
 */

export {
  type ClientIdMismatch,
  type ClientMetadataHandler,
  type ServeClientMetadataHandlerOptions,
  serveClientMetadata,
} from './handler.js';
export { clientMetadataMiddleware } from './hono.js';
export { DEFAULT_HOST_CACHE_CONTROL, DEFAULT_JWKS_PATH, type ServeClientMetadataOptions } from './options.js';
