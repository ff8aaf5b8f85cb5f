/**
 * Responses of the authorization server's JSON endpoints: bodies that must never be cached
 * (RFC 6749 §5.1), OAuth error bodies (§5.2) with `WWW-Authenticate` on `invalid_client` 401s,
 * and redirects back to a validated redirect URI carrying `iss` (RFC 9207).
 *
 * @module
 */
import { OAuthError, ServerError } from '../oauth-errors.js';
import { TextResponse } from './text-response.js';

/** Headers every token, registration and error response carries. */
export const NO_STORE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  pragma: 'no-cache',
});

/** A JSON response that must not be cached. */
export function noStoreJson(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new TextResponse(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...NO_STORE_HEADERS, ...headers },
  });
}

/**
 * The RFC 6749 §5.2 error response for `error`; anything that is not an {@link OAuthError} becomes
 * a `server_error` without detail. An `invalid_client` 401 carries a `WWW-Authenticate` challenge;
 * a 503 whose cause says when to come back (the per-origin fetch budget's `retryAfterMs`) carries
 * `Retry-After`, in seconds.
 */
export function oauthErrorResponse(error: unknown): Response {
  const oauth =
    error instanceof OAuthError ? error : new ServerError('the server could not complete the request');
  const headers: Record<string, string> = {};
  if (oauth.error === 'invalid_client' && oauth.status === 401) {
    headers['www-authenticate'] = 'Bearer error="invalid_client"';
  }
  const retryAfterMs = (oauth.cause as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  if (oauth.status === 503 && typeof retryAfterMs === 'number' && retryAfterMs > 0) {
    headers['retry-after'] = String(Math.ceil(retryAfterMs / 1000));
  }
  return noStoreJson(oauth.toJSON(), oauth.status, headers);
}

/**
 * A 303 redirect to `redirectUri` (already validated against the client's registration) with
 * `params` added to its query, and `iss` always (RFC 9207).
 */
export function redirectWithParams(
  redirectUri: string,
  issuer: string,
  params: Record<string, string | undefined>,
): Response {
  const target = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) target.searchParams.set(name, value);
  }
  target.searchParams.set('iss', issuer);
  return new Response(null, { status: 303, headers: { location: target.href, ...NO_STORE_HEADERS } });
}
