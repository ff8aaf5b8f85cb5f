/**
 * The error of an invalid `cimd serve` configuration: every problem found, each naming the
 * option and where its value came from. Whoever loads the configuration prints it and exits 2
 * (a usage error).
 *
 * @module
 */
import type { ConfigKey } from './option-spec.js';

/** A problem about `key`, to be prefixed with the option's name and source. */
export interface KeyedProblem {
  key: ConfigKey | undefined;
  message: string;
}

/** Thrown when the configuration is invalid; `problems` lists each one. */
export class ConfigError extends Error {
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
