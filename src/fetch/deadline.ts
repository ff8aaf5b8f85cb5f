/**
 * One deadline over a whole fetch, merged with the caller's abort signal.
 *
 * @module
 */

/** The abort reason when the deadline passes. */
export class DeadlineExceededError extends Error {
  constructor(timeoutMs: number) {
    super(`the deadline of ${timeoutMs} ms passed`);
    this.name = 'DeadlineExceededError';
  }
}

/**
 * A timer and an abort signal: `signal` aborts when `timeoutMs` pass or when the caller's
 * `external` signal aborts, whichever comes first. Call {@link Deadline.dispose} on every path.
 */
export class Deadline {
  /** Aborts on the deadline or on the caller's signal. */
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #external: AbortSignal | undefined;
  #cause: 'timeout' | 'caller' | undefined;

  constructor(timeoutMs: number, external?: AbortSignal) {
    this.signal = this.#controller.signal;
    this.#external = external;
    this.#timer = setTimeout(() => this.#abort('timeout', new DeadlineExceededError(timeoutMs)), timeoutMs);
    if (external?.aborted) this.#abort('caller', external.reason);
    else external?.addEventListener('abort', this.#onExternalAbort, { once: true });
  }

  /** What aborted the signal: the deadline, the caller, or nothing yet. */
  get cause(): 'timeout' | 'caller' | undefined {
    return this.#cause;
  }

  /** Clears the timer and stops listening to the caller's signal. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#external?.removeEventListener('abort', this.#onExternalAbort);
  }

  readonly #onExternalAbort = (): void => {
    this.#abort('caller', this.#external?.reason);
  };

  #abort(cause: 'timeout' | 'caller', reason: unknown): void {
    if (this.#cause !== undefined) return;
    this.#cause = cause;
    this.dispose();
    this.#controller.abort(reason);
  }
}
