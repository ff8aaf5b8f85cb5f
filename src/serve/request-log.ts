/**
 * One `debug` line per request answered by `cimd serve`: method, path (never the query, which
 * can carry codes), status, duration and the client's address (the peer's, or the one a trusted
 * proxy reports with `--trust-proxy`). A request that fails outright is logged at `error`.
 *
 * @module
 */
import type { Logger } from '../server/logger.js';
import type { FetchHandler, RequestConnection } from './listen.js';

/** `handler`, logging each request it answers. */
export function logRequests(
  handler: (request: Request, connection: RequestConnection) => Response | Promise<Response>,
  logger: Logger,
): FetchHandler {
  return async (request, connection) => {
    const started = performance.now();
    const fields = {
      event: 'request',
      method: request.method,
      path: new URL(request.url).pathname,
      client: connection.clientAddress,
    };
    try {
      const response = await handler(request, connection);
      const durationMs = Math.round(performance.now() - started);
      logger.debug({ ...fields, status: response.status, durationMs }, 'request');
      return response;
    } catch (error) {
      logger.error({ ...fields, err: error }, 'request failed');
      throw error;
    }
  };
}
