/**
 * The last line of the browser-facing endpoints: an unexpected failure (a store outage, an
 * authenticator error) becomes a logged `server_error` on the error page, without detail.
 *
 * @module
 */
import type { ServerContext } from '../authorization-server/context.js';
import { ServerError } from '../oauth-errors.js';
import { authorizationErrorPage } from './error-page.js';

/** Runs `handler`, answering an unexpected error with the error page (500) and a log entry. */
export async function guardPage(
  context: ServerContext,
  event: string,
  handler: () => Promise<Response>,
): Promise<Response> {
  try {
    return await handler();
  } catch (error) {
    context.logger.error(
      { event, err: error instanceof Error ? { name: error.name, message: error.message } : String(error) },
      'unexpected error',
    );
    return authorizationErrorPage(
      new ServerError('the server failed to handle the request; try again later'),
    );
  }
}
