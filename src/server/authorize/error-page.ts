/**
 * The error page of the authorization flow for the failures that must not redirect: status 400,
 * 503 (with `Retry-After` when known) for `temporarily_unavailable`, 403 for CSRF and user
 * mismatches, 500 for the unexpected.
 *
 * @module
 */
import type { OAuthError } from '../oauth-errors.js';
import { renderErrorPage } from '../ui/error-page.js';

/** Options of {@link authorizationErrorPage}. */
export interface AuthorizationErrorPageOptions {
  /** The `client_id` asked for (already shortened). */
  clientId?: string | undefined;
  /** A link back to the application (an error redirect to its validated redirect URI). */
  continueUrl?: string | undefined;
  /** The HTTP status; default from the error (503 for `temporarily_unavailable`, 500 for `server_error`, else 400). */
  status?: number;
}

/** Renders `error` (its safe message) on the error page. */
export async function authorizationErrorPage(
  error: OAuthError,
  options: AuthorizationErrorPageOptions = {},
): Promise<Response> {
  const status =
    options.status ??
    (error.error === 'temporarily_unavailable' ? 503 : error.error === 'server_error' ? 500 : 400);
  const response = await renderErrorPage({
    error: error.error,
    description: error.message,
    status,
    ...(options.clientId === undefined ? {} : { clientId: options.clientId }),
    ...(options.continueUrl === undefined ? {} : { continueUrl: options.continueUrl }),
  });
  const retryAfterMs = (error.cause as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  if (status === 503 && typeof retryAfterMs === 'number' && retryAfterMs > 0) {
    response.headers.set('retry-after', String(Math.ceil(retryAfterMs / 1000)));
  }
  return response;
}
