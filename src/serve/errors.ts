/**
 * The error of a server that cannot start (`cimd serve`, the demo): a file that cannot be read,
 * a database that cannot be opened, a missing optional dependency.
 *
 * @module
 */

/** Thrown when the server cannot start: what failed, and what to do. */
export class StartupError extends Error {
  override name = 'StartupError';
}
