/**
 * Errors of the key set and its staged rotation, with stable codes.
 *
 * @module
 */

import type { KeySetErrorCode } from '../error-codes/key-set.js';
import { CimdError } from '../errors.js';

export type { KeySetErrorCode } from '../error-codes/key-set.js';

/**
 * Why a key set operation failed. `code` says which rule refused it; the message says what to do.
 * For `ERR_KEYS_GRACE_PERIOD`, `retireAfter` says when retiring becomes safe.
 */
export class KeySetError extends CimdError {
  /** The stable code; see {@link KeySetErrorCode}. */
  declare readonly code: KeySetErrorCode;
  /** For `ERR_KEYS_GRACE_PERIOD`: the earliest time the previous key(s) may be retired. */
  readonly retireAfter?: Date;

  constructor(code: KeySetErrorCode, message: string, options: { cause?: unknown; retireAfter?: Date } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.retireAfter !== undefined) this.retireAfter = options.retireAfter;
  }
}

/** True when `error` is a {@link KeySetError}, optionally with the given code. */
export function isKeySetError(error: unknown, code?: KeySetErrorCode): error is KeySetError {
  return error instanceof KeySetError && (code === undefined || error.code === code);
}
