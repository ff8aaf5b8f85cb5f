/**
 * The errors of the client side: a sign-in that cannot start or did not finish. Each has a
 * stable `code` so callers can `switch` on it; messages say what was wrong and what to do, and
 * never carry a code, a verifier or a token.
 *
 * @module
 */

import type { SignInErrorCode } from '../error-codes/sign-in.js';
import { CimdError } from '../errors.js';

export type { SignInErrorCode } from '../error-codes/sign-in.js';

/** A sign-in that could not start or did not complete. */
export class SignInError extends CimdError {
  /** The stable code; see {@link SignInErrorCode}. */
  declare readonly code: SignInErrorCode;

  constructor(code: SignInErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** True when `error` is a {@link SignInError}, optionally with the given code. */
export function isSignInError(error: unknown, code?: SignInErrorCode): error is SignInError {
  return error instanceof SignInError && (code === undefined || error.code === code);
}
