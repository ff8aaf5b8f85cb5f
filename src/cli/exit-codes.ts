/**
 * The CLI's exit codes: 0 ok, 1 the document (or what was asked about it) is invalid, 2 usage
 * error or the check could not be made (network, non-200, redirect, timeout, SSRF refusal).
 */
export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_CANNOT_CHECK = 2;

/** Thrown by a command to end with a usage error (exit 2) and a message on stderr. */
export class UsageError extends Error {
  override name = 'UsageError';
}
