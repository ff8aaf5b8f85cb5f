/**
 * OAuth wire errors (RFC 6749 §5.2, RFC 6750 §3.1, RFC 7591 §3.2.2, RFC 8707 §2): one class per
 * `error` code, each with the HTTP status it is sent with and `toJSON()` giving the RFC body.
 * The library's typed errors are mapped to these at the HTTP edge. `error_description` must be
 * safe to show the client: it helps an honest client and leaks nothing.
 *
 * @module
 */

/** Every OAuth `error` value this server sends. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_target'
  | 'invalid_client_metadata'
  | 'invalid_redirect_uri'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'consent_required'
  | 'login_required'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce';

/** The base of every wire error. */
export class OAuthError extends Error {
  /** The RFC `error` code. */
  readonly error: OAuthErrorCode;
  /** The HTTP status the error is sent with. */
  readonly status: number;

  constructor(error: OAuthErrorCode, description: string, status = 400, options?: { cause?: unknown }) {
    // An OAuth error is an answer to the client, not a fault: it carries no stack trace (only its
    // `cause` keeps one). Capturing it cost more than the rest of refusing a junk request, and a
    // flood of refused requests should stay cheap.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(description, options);
    Error.stackTraceLimit = stackTraceLimit;
    this.error = error;
    this.status = status;
    this.name = new.target.name;
  }

  /** The human-readable `error_description`. */
  get errorDescription(): string {
    return this.message;
  }

  /** The RFC 6749 §5.2 body. */
  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.message };
  }
}

const define = (error: OAuthErrorCode, status: number) =>
  class extends OAuthError {
    constructor(description: string, options?: { cause?: unknown }) {
      super(error, description, status, options);
    }
  };

/** `invalid_request` (400): a parameter is missing, repeated, malformed or unsupported. */
export class InvalidRequestError extends define('invalid_request', 400) {}
/** `invalid_client` (401): client authentication failed, or the client is unknown or refused. */
export class InvalidClientError extends define('invalid_client', 401) {}
/** `invalid_grant` (400): the code or refresh token is invalid, expired, revoked or not the client's. */
export class InvalidGrantError extends define('invalid_grant', 400) {}
/** `unauthorized_client` (400): the client may not use this grant type. */
export class UnauthorizedClientError extends define('unauthorized_client', 400) {}
/** `unsupported_grant_type` (400). */
export class UnsupportedGrantTypeError extends define('unsupported_grant_type', 400) {}
/** `unsupported_response_type` (400). */
export class UnsupportedResponseTypeError extends define('unsupported_response_type', 400) {}
/** `invalid_scope` (400). */
export class InvalidScopeError extends define('invalid_scope', 400) {}
/** `access_denied` (403): the user or policy refused. */
export class AccessDeniedError extends define('access_denied', 403) {}
/** `server_error` (500): never carries internal detail. */
export class ServerError extends define('server_error', 500) {}
/** `temporarily_unavailable` (503): e.g. the per-origin fetch budget is spent; retry later. */
export class TemporarilyUnavailableError extends define('temporarily_unavailable', 503) {}
/** `invalid_target` (400, RFC 8707): the resource is unknown or not allowed. */
export class InvalidTargetError extends define('invalid_target', 400) {}
/** `invalid_client_metadata` (400, RFC 7591). */
export class InvalidClientMetadataWireError extends define('invalid_client_metadata', 400) {}
/** `invalid_redirect_uri` (400, RFC 7591). */
export class InvalidRedirectUriError extends define('invalid_redirect_uri', 400) {}
/** `invalid_token` (401, RFC 6750). */
export class InvalidTokenError extends define('invalid_token', 401) {}
/** `insufficient_scope` (403, RFC 6750). */
export class InsufficientScopeError extends define('insufficient_scope', 403) {}
/** `consent_required` (400, OIDC): `prompt=none` but consent is needed. */
export class ConsentRequiredError extends define('consent_required', 400) {}
/** `login_required` (400, OIDC): `prompt=none` but the user must sign in. */
export class LoginRequiredError extends define('login_required', 400) {}

/** True when `value` is an {@link OAuthError}. */
export function isOAuthError(value: unknown): value is OAuthError {
  return value instanceof OAuthError;
}

/** Library codes that mean "this client cannot be used" and map to `invalid_client`. */
const INVALID_CLIENT_CODES: ReadonlySet<string> = new Set([
  'ERR_CLIENT_NOT_FOUND',
  'ERR_CIMD_INVALID_CLIENT_ID',
  'ERR_CIMD_FETCH',
  'ERR_CIMD_INVALID_DOCUMENT',
  'ERR_CIMD_CLIENT_ID_MISMATCH',
  'ERR_CIMD_POLICY_DENIED',
  'ERR_CLIENT_KEYS',
]);

/**
 * The wire error for any error, at the HTTP edge: an {@link OAuthError} as is; a library error
 * (a `CimdError` with a stable `code`) by its code: client resolution failures
 * (`ERR_CLIENT_NOT_FOUND`, `ERR_CIMD_*`, `ERR_CLIENT_KEYS`) become `invalid_client` with the
 * library message (safe to show) as `error_description`, and `ERR_CIMD_FETCH_BUDGET` becomes
 * `temporarily_unavailable` (503). Anything else is a `server_error` whose description says
 * nothing internal. The original error is the `cause`.
 */
export function toOAuthError(error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
  const raw = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  const code = typeof raw === 'string' ? raw : undefined;
  if (code === 'ERR_CIMD_FETCH_BUDGET') {
    return new TemporarilyUnavailableError((error as Error).message, { cause: error });
  }
  if (code !== undefined && INVALID_CLIENT_CODES.has(code)) {
    return new InvalidClientError((error as Error).message, { cause: error });
  }
  return new ServerError('the server failed to handle the request; try again later', { cause: error });
}
