/**
 * `mcp-cimd/server/node`: serving the authorization server (or any web-standard `fetch`
 * handler) on Node's `http`/`https` with little per-request overhead.
 *
 * ```ts
 * import { createServer } from 'node:http';
 * import { createNodeListener } from 'mcp-cimd/server/node';
 * createServer(createNodeListener(server.fetch)).listen(3000);
 * ```
 *
 * @module
 */
export {
  createNodeListener,
  type NodeBindings,
  type NodeFetchHandler,
  type NodeListenerOptions,
} from './listener.js';
