/**
 * A secret in `cimd serve`'s configuration (the upstream client secret, the encryption key): the
 * value is only given out by {@link Secret.reveal}; turned into JSON, a string or inspected, it
 * shows as `[REDACTED]`, so a configuration logged or printed by mistake leaks nothing.
 *
 * @module
 */
import { REDACTED } from '../logging.js';

/** A secret value that never prints itself. */
export class Secret<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  /** The value itself: pass it on to what needs it, never to a log. */
  reveal(): T {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${REDACTED})`;
  }
}
