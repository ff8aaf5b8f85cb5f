/**
 * Library errors with stable codes. Every error this package throws for a reason a caller may
 * want to act on is a {@link CimdError} whose `code` is one of {@link CimdErrorCode}, so callers
 * can `switch (error.code)`. Messages say what was wrong and what to do, and are safe to show a
 * user (they never carry secrets or internal network detail beyond the URL that was asked for).
 *
 * @module
 */

import type { KeySetErrorCode } from './error-codes/key-set.js';
import type { SignInErrorCode } from './error-codes/sign-in.js';
import type { UpstreamErrorCode } from './error-codes/upstream.js';

/** Every stable error code this package uses. */
export type CimdErrorCode =
  /** The fetcher refused a URL or an address that is not on the public internet (SSRF guard). */
  | 'ERR_SSRF_BLOCKED'
  /** The URL handed to the fetcher is not a usable https URL. */
  | 'ERR_FETCH_INVALID_URL'
  /** The server answered with a status other than 200 (or 304 when revalidating). */
  | 'ERR_FETCH_STATUS'
  /** The server answered with a redirect; redirects are never followed. */
  | 'ERR_FETCH_REDIRECT'
  /** The body is larger than the size cap. */
  | 'ERR_FETCH_TOO_LARGE'
  /** Connect, headers and body together took longer than the deadline. */
  | 'ERR_FETCH_TIMEOUT'
  /** The response's `Content-Type` is not `application/json` or `application/<x>+json`. */
  | 'ERR_FETCH_CONTENT_TYPE'
  /** DNS, TCP or TLS failed. */
  | 'ERR_FETCH_NETWORK'
  /** The body is not valid JSON. */
  | 'ERR_FETCH_INVALID_JSON'
  /** A client metadata document (or what would become one) breaks an error-level rule. */
  | 'ERR_INVALID_CLIENT_METADATA'
  /** An option passed to a function of this package is invalid. */
  | 'ERR_INVALID_OPTION'
  /** A `client_id` is neither a valid CIMD URL nor a registered client's id. */
  | 'ERR_CLIENT_NOT_FOUND'
  /** A URL `client_id` breaks the CIMD URL rules (https, a path, no fragment, ...). */
  | 'ERR_CIMD_INVALID_CLIENT_ID'
  /** The client's metadata document could not be fetched (the cause is the fetcher's error). */
  | 'ERR_CIMD_FETCH'
  /** The fetched document is not a valid client metadata document. */
  | 'ERR_CIMD_INVALID_DOCUMENT'
  /** The fetched document's `client_id` is not byte-equal to the URL it was fetched from. */
  | 'ERR_CIMD_CLIENT_ID_MISMATCH'
  /** The trust policy refused the client (deny list, allowlist mode, hook). */
  | 'ERR_CIMD_POLICY_DENIED'
  /** The per-origin fetch budget is spent; retry later. */
  | 'ERR_CIMD_FETCH_BUDGET'
  /** The client's keys (inline `jwks` or `jwks_uri`) could not be loaded or are unusable. */
  | 'ERR_CLIENT_KEYS'
  /** The store was used after `close()`. */
  | 'ERR_STORE_CLOSED'
  /** The store's database driver is missing, or the database cannot be opened or is of a newer schema. */
  | 'ERR_STORE_DRIVER'
  /** The store's server (Redis, a database) cannot be reached or did not answer in time; retry later. */
  | 'ERR_STORE_UNAVAILABLE'
  /** A record that must be unique (a code, a refresh token, a family) was saved twice. */
  | 'ERR_STORE_CONFLICT'
  /** The encryption key (for secrets kept at rest) is missing, malformed, or does not open what was sealed with it. */
  | 'ERR_ENCRYPTION_KEY'
  /** An upstream identity provider's sign-in or token operation failed; see `UpstreamErrorCode` in `mcp-cimd/server`. */
  | UpstreamErrorCode
  /** A key set or its rotation step was refused; see `KeySetErrorCode` in `mcp-cimd/keys`. */
  | KeySetErrorCode
  /** A client sign-in could not start or finish; see `SignInErrorCode` in `mcp-cimd/client`. */
  | SignInErrorCode;

/** The base of every error with a stable code. */
export class CimdError extends Error {
  /** The stable code; see {@link CimdErrorCode}. */
  readonly code: CimdErrorCode;

  constructor(code: CimdErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Thrown when an option is invalid; the message names the option and what it accepts. */
export class InvalidOptionError extends CimdError {
  constructor(message: string) {
    super('ERR_INVALID_OPTION', message);
  }
}

/** True when `error` is a {@link CimdError}, optionally with the given code. */
export function isCimdError(error: unknown, code?: CimdErrorCode): error is CimdError {
  return error instanceof CimdError && (code === undefined || error.code === code);
}
