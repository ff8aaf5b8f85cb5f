/**
 * The stable codes of key set errors (part of `CimdErrorCode`).
 *
 * @module
 */

/** The stable codes of a `KeySetError`; switch on them. */
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
