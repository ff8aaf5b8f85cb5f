/**
 * The wire error of a failed token, revocation or registration request, with a log line for
 * what is not an OAuth error (a bug, a store failure): its name and message only, never the
 * request's secrets; a refused replay is reported as `replay.detected`.
 *
 * @module
 */
import type { ServerContext } from '../authorization-server/context.js';
import { replayOf } from '../events.js';
import { RequestAbortedError } from '../http/body.js';
import { isOAuthError, type OAuthError, toOAuthError } from '../oauth-errors.js';

/**
 * The OAuth error to answer `error` with (`toOAuthError`: OAuth errors as they are, client
 * resolution failures as `invalid_client` or `temporarily_unavailable`, anything else
 * `server_error` without detail). Unexpected errors are logged at `error` level with `endpoint`;
 * a client that disconnected mid-body at `debug` level as `request_aborted`.
 */
export function wireError(context: ServerContext, error: unknown, endpoint: string): OAuthError {
  const oauth = toOAuthError(error);
  const replay = replayOf(error);
  if (replay !== undefined) {
    context.emit({
      type: 'replay.detected',
      kind: replay.kind,
      ...(replay.clientId === undefined ? {} : { clientId: replay.clientId }),
    });
  }
  if (error instanceof RequestAbortedError) {
    context.logger.debug({ event: 'request_aborted', endpoint }, 'the client disconnected mid-body');
  } else if (!isOAuthError(error)) {
    const detail = error instanceof Error ? { name: error.name, message: error.message } : String(error);
    context.logger.error({ event: 'endpoint_failed', endpoint, err: detail }, 'unexpected error');
  }
  return oauth;
}
