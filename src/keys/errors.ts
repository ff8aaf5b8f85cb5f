/**
 * Errors of the key set and its staged rotation, with stable codes.
 *
 * @module
 */

/** The stable codes of a {@link KeySetError}; switch on them. */
export type KeySetErrorCode =
  /** The key set file is missing, unreadable, not JSON, or breaks the key set format. */
  | 'ERR_KEYS_INVALID_FILE'
  /** `stage` was asked while a next key is already staged (only one at a time). */
  | 'ERR_KEYS_NEXT_EXISTS'
  /** `promote` was asked but no next key is staged. */
  | 'ERR_KEYS_NO_NEXT'
  /** `promote` was refused: the next key is not served at `jwksUri` yet. */
  | 'ERR_KEYS_NOT_PUBLISHED'
  /** `retire` was asked but there is no previous key. */
  | 'ERR_KEYS_NO_PREVIOUS'
  /** `retire` was refused: the grace period of the previous key(s) has not passed. */
  | 'ERR_KEYS_GRACE_PERIOD'
  /** The key set records no `jwksUri`, so what is published cannot be checked. */
  | 'ERR_KEYS_NO_JWKS_URI';

/**
 * Why a key set operation failed. `code` says which rule refused it; the message says what to do.
 * For `ERR_KEYS_GRACE_PERIOD`, `retireAfter` says when retiring becomes safe.
 */
export class KeySetError extends Error {
  /** The stable code; see {@link KeySetErrorCode}. */
  readonly code: KeySetErrorCode;
  /** For `ERR_KEYS_GRACE_PERIOD`: the earliest time the previous key(s) may be retired. */
  readonly retireAfter?: Date;

  constructor(code: KeySetErrorCode, message: string, options: { cause?: unknown; retireAfter?: Date } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KeySetError';
    this.code = code;
    if (options.retireAfter !== undefined) this.retireAfter = options.retireAfter;
  }
}

/** True when `error` is a {@link KeySetError}, optionally with the given code. */
export function isKeySetError(error: unknown, code?: KeySetErrorCode): error is KeySetError {
  return error instanceof KeySetError && (code === undefined || error.code === code);
}
