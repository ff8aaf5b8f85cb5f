/**
 * The `keyPrefix` option shared by the Redis store and the Redis rate-limit counter.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';

/** The default key prefix of the Redis store and rate-limit counter. */
export const DEFAULT_KEY_PREFIX = 'cimd:';

/** Returns the key prefix option, or {@link DEFAULT_KEY_PREFIX} when absent. */
export function checkKeyPrefix(value: unknown): string {
  if (value === undefined) return DEFAULT_KEY_PREFIX;
  if (typeof value !== 'string' || value === '' || /[*?[\]\\]/.test(value)) {
    throw new InvalidOptionError(
      "keyPrefix must be a non-empty string without glob characters (* ? [ ] \\), e.g. 'cimd:'",
    );
  }
  return value;
}
