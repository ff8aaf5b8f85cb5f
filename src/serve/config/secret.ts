/**
 * A secret in `cimd serve`'s configuration (the upstream client secret, the encryption key): the
 * value is only given out by {@link Secret.reveal}; turned into JSON, a string or inspected, it
 * shows as `[REDACTED]`, so a configuration logged or printed by mistake leaks nothing. And the
 * reading of a file that holds one.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { REDACTED } from '../logging.js';

/**
 * The text of the secret file at `path` (absolute), trimmed.
 *
 * @throws Error `cannot read <path>: <code>`, or `<path> is empty`; never quoting the content.
 */
export async function readSecretFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  const value = text.trim();
  if (value === '') throw new Error(`${path} is empty`);
  return value;
}

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

  /** `[REDACTED]`, for `JSON.stringify` (and so for pino). */
  toJSON(): string {
    return REDACTED;
  }

  /** `[REDACTED]`, for template strings and concatenation. */
  toString(): string {
    return REDACTED;
  }

  /** `Secret([REDACTED])`, for `util.inspect` and `console.log`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${REDACTED})`;
  }
}
