/**
 * The error of an invalid `cimd serve` configuration: every problem found, each naming the
 * option and where its value came from. The CLI prints it and exits 2.
 *
 * @module
 */
import { UsageError } from '../exit-codes.js';

/** Thrown when the configuration is invalid; `problems` lists each one. */
export class ConfigError extends UsageError {
  override name = 'ConfigError';
  /** One line per problem. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    const [first] = problems;
    super(
      problems.length === 1 && first !== undefined
        ? `invalid configuration: ${first}`
        : `invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
    this.problems = problems;
  }
}
