/** A hand-driven clock for store tests: records expire by advancing it, never by sleeping. */

/** The time every test starts at (epoch ms). */
export const START_TIME = Date.UTC(2026, 0, 1);

/** A clock that only moves when told to. */
export class TestClock {
  #time = START_TIME;

  /** The current time, epoch ms; pass `clock.now` to a store as its clock. */
  readonly now = (): number => this.#time;

  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.#time += ms;
  }

  /** Puts the clock back to {@link START_TIME}. */
  reset(): void {
    this.#time = START_TIME;
  }
}
