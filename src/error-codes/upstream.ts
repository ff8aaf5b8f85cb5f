/**
 * The stable codes of upstream sign-in errors (part of `CimdErrorCode`).
 *
 * @module
 */

/** The stable codes of an `UpstreamError`; switch on them. */
export type UpstreamErrorCode =
  /** The user cancelled or refused at the identity provider (`access_denied` there). */
  | 'ERR_UPSTREAM_DENIED'
  /** The identity provider is down, answered 5xx, or did not answer before the deadline. */
  | 'ERR_UPSTREAM_UNAVAILABLE'
  /** Its answer failed a check: `state`, `iss`, `nonce`, the ID token, the token response. */
  | 'ERR_UPSTREAM_INVALID_RESPONSE'
  /** The user signed in, but no allow-list admits them. */
  | 'ERR_UPSTREAM_USER_NOT_ALLOWED'
  /** No upstream tokens are kept for this grant (never bound, revoked, or expired). */
  | 'ERR_UPSTREAM_NO_TOKENS'
  /** The upstream tokens could not be refreshed; the user must sign in again. */
  | 'ERR_UPSTREAM_REFRESH';
