/**
 * The checks on a response's status and headers, made before the body is read.
 *
 * @module
 */
import { STATUS_CODES } from 'node:http';
import { IMAGE_MEDIA_TYPES, isImageContentType, isJsonContentType, mediaTypeOf } from './content-type.js';
import { FetchError } from './errors.js';
import { echo } from './target-url.js';

/** Response headers as undici hands them over (names lower-cased). */
export type RawHeaders = Record<string, string | string[] | undefined>;

/** `raw` as a plain object of lower-cased names to strings, repeated headers joined with `, `. */
export function plainHeaders(raw: RawHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(raw).flatMap(([name, value]) =>
      value === undefined ? [] : [[name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value]],
    ),
  );
}

function statusLine(status: number): string {
  const text = STATUS_CODES[status];
  return text === undefined ? String(status) : `${status} ${text}`;
}

function statusAdvice(status: number): string {
  if (status === 304) return 'a 304 answers only a conditional request: serve the document with 200 OK';
  if (status === 404 || status === 410) return 'check that the document is published at this exact URL';
  if (status === 401 || status === 403) return 'the document must be public: serve it without authentication';
  if (status >= 500) return 'the server failed: try again later';
  return 'serve the document with 200 OK';
}

function redirectError(url: URL, status: number, headers: Record<string, string>): FetchError {
  const location = headers.location;
  const advice =
    'redirects are never followed: publish the document at the exact URL requested (for a client_id, the client_id URL itself)';
  if (location === undefined) {
    return new FetchError(
      'ERR_FETCH_REDIRECT',
      url.href,
      `${echo(url.href)} answered ${statusLine(status)}; ${advice}`,
      { status, headers },
    );
  }
  let target = location;
  try {
    target = new URL(location, url).href;
  } catch {
    // An unparsable Location is reported as sent.
  }
  return new FetchError(
    'ERR_FETCH_REDIRECT',
    url.href,
    `${echo(url.href)} answered ${statusLine(status)} with Location ${echo(target)}; ${advice}`,
    { status, location: target, headers },
  );
}

/**
 * Checks the status: 200 passes, 304 passes when `allowNotModified` and the request was
 * conditional; any other 3xx is `ERR_FETCH_REDIRECT` (never followed), anything else
 * `ERR_FETCH_STATUS`.
 */
export function checkStatus(
  url: URL,
  status: number,
  headers: Record<string, string>,
  request: { allowNotModified: boolean; conditional: boolean },
): 200 | 304 {
  if (status === 200) return 200;
  if (status === 304 && request.allowNotModified && request.conditional) return 304;
  if (status >= 300 && status < 400 && status !== 304) throw redirectError(url, status, headers);
  throw new FetchError(
    'ERR_FETCH_STATUS',
    url.href,
    `${echo(url.href)} answered ${statusLine(status)}; only 200 OK is accepted: ${statusAdvice(status)}`,
    { status, headers },
  );
}

/**
 * Checks that `Content-Type` is `application/json` or `application/<name>+json` (or, for
 * `accept: 'image'`, a PNG, JPEG, GIF or WebP image); else `ERR_FETCH_CONTENT_TYPE`.
 */
export function checkContentType(
  url: URL,
  headers: Record<string, string>,
  accept: 'json' | 'image' = 'json',
): void {
  const contentType = headers['content-type'];
  if (accept === 'image' ? isImageContentType(contentType) : isJsonContentType(contentType)) return;
  const served =
    contentType === undefined || contentType.trim() === ''
      ? 'was served without a Content-Type'
      : `was served as ${echo(mediaTypeOf(contentType))}`;
  if (accept === 'image') {
    throw new FetchError(
      'ERR_FETCH_CONTENT_TYPE',
      url.href,
      `${echo(url.href)} ${served}; expected one of ${IMAGE_MEDIA_TYPES.join(', ')} (never SVG)`,
      { headers },
    );
  }
  throw new FetchError(
    'ERR_FETCH_CONTENT_TYPE',
    url.href,
    `${echo(url.href)} ${served}; expected application/json or application/<name>+json: serve it with Content-Type: application/json`,
    { headers },
  );
}

/** Fails with `ERR_FETCH_TOO_LARGE` when `Content-Length` declares more than `maxBytes`, before reading the body. */
export function checkDeclaredLength(url: URL, headers: Record<string, string>, maxBytes: number): void {
  const declared = headers['content-length'];
  if (declared === undefined || !/^\d+$/.test(declared)) return;
  const length = Number(declared);
  if (length <= maxBytes) return;
  throw new FetchError(
    'ERR_FETCH_TOO_LARGE',
    url.href,
    `${echo(url.href)} is ${length} bytes (Content-Length), over the ${maxBytes}-byte limit: keep it at most ${maxBytes} bytes`,
  );
}
