/**
 * The logger the server takes: a pino-compatible subset. The library never logs on its own; it
 * logs only through a logger it is given (`cimd serve` passes a pino logger with secrets
 * redacted).
 *
 * @module
 */

/** A pino-style log method: an object of fields first, then a message. */
export type LogMethod = (fields: Record<string, unknown>, message?: string) => void;

/** The subset of pino's logger the server uses. */
export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

const ignore: LogMethod = () => {};

/** A logger that drops everything: the default. */
export const silentLogger: Logger = Object.freeze({
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
});

/** An error as a log field: its name and message (never its stack or own properties). */
export function errorLogField(error: unknown): { name: string; message: string } | string {
  return error instanceof Error ? { name: error.name, message: error.message } : String(error);
}
