/**
 * Error responses sent to a VALIDATED redirect URI (OAuth 2.1 §4.1.2.1): `error`,
 * `error_description` (restricted to the characters RFC 6749 allows), `state` when the request
 * had one, and `iss` (RFC 9207).
 *
 * @module
 */
import { redirectWithParams } from '../http/responses.js';
import type { OAuthError } from '../oauth-errors.js';

/** RFC 6749 §4.1.2.1: `error_description` is %x20-21 / %x23-5B / %x5D-7E. */
const NOT_ALLOWED_IN_DESCRIPTION = /[^\x20\x21\x23-\x5b\x5d-\x7e]/g;

/** The longest `error_description` sent, in characters. */
const MAX_DESCRIPTION = 300;

/** `description` with every character RFC 6749 does not allow replaced by `?`, and shortened. */
export function safeErrorDescription(description: string): string {
  return description.slice(0, MAX_DESCRIPTION).replace(NOT_ALLOWED_IN_DESCRIPTION, '?');
}

/** The 303 redirect carrying `error` to `redirectUri`, which must already be validated. */
export function authorizationErrorRedirect(
  redirectUri: string,
  issuer: string,
  error: OAuthError,
  state: string | undefined,
): Response {
  return redirectWithParams(redirectUri, issuer, {
    error: error.error,
    error_description: safeErrorDescription(error.message),
    state,
  });
}
