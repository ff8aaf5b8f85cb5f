/**
 * How the PostgreSQL store reads `pg`'s errors: which ones a fresh attempt may cure, which ones
 * mean the server cannot be reached, and the {@link CimdError} a caller sees for the latter.
 *
 * @module
 */
import { CimdError } from '../../errors.js';

/** SQLSTATEs after which the whole transaction may simply run again: serialization failure, deadlock. */
const RETRYABLE_STATES = new Set(['40001', '40P01']);

/** SQLSTATEs that say the server is not (or no longer) serving this connection. */
const UNAVAILABLE_STATES = new Set([
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);

/** Node's codes for a socket that could not be opened or was cut. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** The `code` of an error (`pg`'s SQLSTATE, or Node's system error code), if any. */
function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** True when running the transaction again from the start may succeed (SQLSTATE 40001, 40P01). */
export function isRetryable(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && RETRYABLE_STATES.has(code);
}

/**
 * True when a named statement prepared on this connection no longer matches its table (another
 * instance migrated the schema meanwhile): the connection must be dropped and the operation run
 * again on a fresh one, which prepares the statement anew.
 */
export function isStalePreparedStatement(error: unknown): boolean {
  return (
    codeOf(error) === '0A000' &&
    error instanceof Error &&
    error.message.includes('cached plan must not change result type')
  );
}

/**
 * True when `error` says the database server is unreachable or dropped the connection: a
 * network error, a connection timeout, a connection exception (SQLSTATE class 08), a server
 * shutting down or out of connections, or `pg`'s own "Connection terminated" errors.
 */
export function isUnavailable(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined) {
    return NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08');
  }
  if (!(error instanceof Error)) return false;
  return /connection terminated|timeout exceeded when trying to connect|connection timeout|^timeout expired$/i.test(
    error.message,
  );
}

/** The typed error for a database server that could not serve `action` (its reason in the message). */
export function unavailableError(action: string, cause: unknown): CimdError {
  const reason =
    cause instanceof Error && cause.message !== '' ? cause.message : String(codeOf(cause) ?? cause);
  return new CimdError(
    'ERR_STORE_UNAVAILABLE',
    `The PostgreSQL store could not ${action}: the database server is unreachable, dropped the connection, or no pooled connection became free in time (${reason}). Check that it is running and that the connection settings are right, then retry`,
    { cause },
  );
}

/** `error` as the caller should see it: unavailability as {@link unavailableError}, anything else as is. */
export function toStoreError(action: string, error: unknown): unknown {
  if (error instanceof CimdError) return error;
  return isUnavailable(error) ? unavailableError(action, error) : error;
}
