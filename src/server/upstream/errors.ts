/**
 * Errors of the upstream identity providers, with stable codes, and how each ends a sign-in
 * after consent (see `SignInFailureCode`).
 *
 * @module
 */

import type { UpstreamErrorCode } from '../../error-codes/upstream.js';
import { CimdError } from '../../errors.js';
import type { SignInFailureCode } from '../login/authenticator.js';

/** An upstream sign-in or token operation failed; `code` says why. */
export class UpstreamError extends CimdError {
  declare readonly code: UpstreamErrorCode;

  constructor(code: UpstreamErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }

  /** What the MCP client is told: the sign-in failure this error stands for. */
  get failure(): SignInFailureCode {
    switch (this.code) {
      case 'ERR_UPSTREAM_DENIED':
        return 'access_denied';
      case 'ERR_UPSTREAM_USER_NOT_ALLOWED':
        return 'user_not_allowed';
      case 'ERR_UPSTREAM_UNAVAILABLE':
        return 'temporarily_unavailable';
      default:
        return 'server_error';
    }
  }
}

/** The error names and codes that mean "the provider could not be reached in time". */
const UNREACHABLE = new Set(['AbortError', 'TimeoutError', 'OAUTH_TIMEOUT']);

/** True when `error` (from fetch or openid-client) means the provider was down or too slow. */
function isUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (UNREACHABLE.has(error.name) || (typeof code === 'string' && UNREACHABLE.has(code))) return true;
  if (error instanceof TypeError && /fetch failed|network/i.test(error.message)) return true;
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 500) return true;
  // openid-client reports an unexpected status (a 503 page from a provider that is down) with the
  // Response itself as the cause (compared by shape: servers may replace the global Response).
  const cause = error.cause;
  if (typeof cause === 'object' && cause !== null && !(cause instanceof Error)) {
    const causeStatus = (cause as { status?: unknown }).status;
    return typeof causeStatus === 'number' && causeStatus >= 500;
  }
  return error.cause !== undefined && error.cause !== error && isUnreachable(error.cause);
}

/** The messages of `error` and its causes (openid-client's own message is generic; the cause says which check failed). */
function detailOf(error: unknown): string {
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (!messages.includes(current.message)) messages.push(current.message);
    current = current.cause;
  }
  return messages.length > 0 ? messages.join(': ') : String(error);
}

/**
 * Classifies an error thrown while talking to the provider (`during` names the step, for the
 * message): an {@link UpstreamError} as it is; `access_denied` from the provider as DENIED;
 * `temporarily_unavailable` or `server_error` from it, network failures, timeouts and 5xx as
 * UNAVAILABLE; every other failed check as INVALID_RESPONSE.
 */
export function classifyUpstreamError(error: unknown, during: string): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const oauthError = (error as { error?: unknown } | undefined)?.error;
  if (oauthError === 'access_denied') {
    return new UpstreamError('ERR_UPSTREAM_DENIED', `the user refused at the identity provider (${during})`, {
      cause: error,
    });
  }
  if (oauthError === 'temporarily_unavailable' || oauthError === 'server_error' || isUnreachable(error)) {
    return new UpstreamError(
      'ERR_UPSTREAM_UNAVAILABLE',
      `the identity provider is unavailable or too slow (${during})`,
      { cause: error },
    );
  }
  const detail = detailOf(error);
  return new UpstreamError(
    'ERR_UPSTREAM_INVALID_RESPONSE',
    `the identity provider's answer failed a check (${during}): ${detail}`,
    { cause: error },
  );
}
