/**
 * Errors of the SSRF-safe fetcher.
 *
 * @module
 */
import { CimdError, type CimdErrorCode } from '../errors.js';

/** The codes a {@link FetchError} carries. */
export type FetchErrorCode = Extract<
  CimdErrorCode,
  | 'ERR_SSRF_BLOCKED'
  | 'ERR_FETCH_INVALID_URL'
  | 'ERR_FETCH_STATUS'
  | 'ERR_FETCH_REDIRECT'
  | 'ERR_FETCH_TOO_LARGE'
  | 'ERR_FETCH_TIMEOUT'
  | 'ERR_FETCH_CONTENT_TYPE'
  | 'ERR_FETCH_NETWORK'
  | 'ERR_FETCH_INVALID_JSON'
>;

/** Extra details of a {@link FetchError}. */
export interface FetchErrorDetails {
  /** The HTTP status the server answered with (redirects and unexpected statuses). */
  status?: number;
  /** The redirect target named by the `Location` header, resolved against the URL (redirects). */
  location?: string;
  /** The lower-level error behind this one. */
  cause?: unknown;
  /** The response headers (names lower-cased), when the server answered: for diagnosis, never shown as is. */
  headers?: Readonly<Record<string, string>>;
  /** The first characters of a body that was read but is not JSON (at most 64), for diagnosis. */
  bodyStart?: string;
}

/**
 * Why a fetch failed. `code` says what kind of failure it is (switch on it); the message is safe
 * to show a user and says what to do. It never carries an address that DNS resolved to: an SSRF
 * refusal names the range (`loopback`, `private`, ...) unless the URL itself spelled the address.
 */
export class FetchError extends CimdError {
  declare readonly code: FetchErrorCode;
  /** The URL that was asked for (normalised by the URL parser when it parsed). */
  readonly url: string;
  /** The HTTP status, for `ERR_FETCH_STATUS` and `ERR_FETCH_REDIRECT`. */
  readonly status?: number;
  /** The `Location` the server redirected to, for `ERR_FETCH_REDIRECT` (when it sent one). */
  readonly location?: string;
  /**
   * The response headers (names lower-cased) when the server answered (status, redirect,
   * content type, JSON failures): what `cimd validate` reads to name a hosting mistake. Not part
   * of the message.
   */
  declare readonly headers?: Readonly<Record<string, string>>;
  /** For `ERR_FETCH_INVALID_JSON`: the first characters of the body (at most 64), e.g. `<!DOCTYPE html>`. */
  declare readonly bodyStart?: string;

  constructor(code: FetchErrorCode, url: string, message: string, details: FetchErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.url = url;
    if (details.status !== undefined) this.status = details.status;
    if (details.location !== undefined) this.location = details.location;
    // Not enumerable: kept off logs and serialised errors (a host's cookies, a page's bytes).
    const hidden = (name: 'headers' | 'bodyStart', value: unknown) =>
      Object.defineProperty(this, name, { value, enumerable: false, writable: false });
    if (details.headers !== undefined) hidden('headers', Object.freeze({ ...details.headers }));
    if (details.bodyStart !== undefined) hidden('bodyStart', details.bodyStart);
  }
}

/**
 * Internal: a connection was refused because `host` resolved (`phase: 'lookup'`) or connected
 * (`phase: 'connect'`) to an address outside the public internet. The fetcher turns it into a
 * {@link FetchError} that names the URL. The address itself is kept off the message.
 */
export class BlockedAddressError extends CimdError {
  /** The host name (or IP literal) being connected to. */
  readonly host: string;
  /** The special-purpose range of the address, e.g. `loopback` (see `classifyIp`). */
  readonly range: string;
  /** Whether the address came from the connect-time lookup or from the connected socket. */
  readonly phase: 'lookup' | 'connect';

  constructor(host: string, range: string, phase: 'lookup' | 'connect') {
    const verb = phase === 'lookup' ? 'resolves to' : 'connected to';
    super('ERR_SSRF_BLOCKED', `${host} ${verb} a non-public address (${range})`);
    this.host = host;
    this.range = range;
    this.phase = phase;
  }
}

/** Internal: the resolver failed for `host` (or found no address); the cause says why. */
export class ResolveError extends Error {
  /** The host name that did not resolve. */
  readonly host: string;
  /** The resolver's error code (`ENOTFOUND`, `EAI_AGAIN`, ...) when it had one. */
  readonly dnsCode: string | undefined;

  constructor(host: string, cause?: unknown) {
    const dnsCode = errorCode(cause) ?? (cause === undefined ? 'ENOTFOUND' : undefined);
    super(`could not resolve ${host}${dnsCode === undefined ? '' : ` (${dnsCode})`}`, { cause });
    this.name = 'ResolveError';
    this.host = host;
    this.dnsCode = dnsCode;
  }
}

/** The string `code` of an error-like value, if it has one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}
