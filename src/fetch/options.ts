/**
 * Validation of the fetcher's options and per-request options, with defaults applied.
 *
 * @module
 */
import { InvalidOptionError } from '../errors.js';
import { VERSION } from '../version.js';
import { type DnsResolver, defaultResolver } from './dns.js';
import { DEFAULT_TIMEOUT_MS, DOCUMENT_MAX_BYTES, IMAGE_MAX_BYTES, MAX_TIMEOUT_MS } from './limits.js';
import { parseProxyUrl } from './proxy.js';
import type { SafeFetchOptions, SafeFetchRequest } from './types.js';

/** The default `User-Agent`. */
export const DEFAULT_USER_AGENT = `mcp-cimd/${VERSION}`;

/** Request headers a caller may add: the validation headers of RFC 9110 §13.1. */
const ALLOWED_REQUEST_HEADERS = new Set(['if-none-match', 'if-modified-since']);

/** Control characters, which would let a header value smuggle a line break. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** The fetcher's options with defaults applied. */
export interface FetcherSettings {
  allowPrivateNetwork: boolean;
  resolver: DnsResolver;
  timeoutMs: number;
  maxBytes: number;
  userAgent: string;
  /** Extra trust anchors, or undefined for Node's default trust store. */
  ca: string[] | undefined;
  /** The CONNECT proxy, or undefined for direct connections. */
  proxy: URL | undefined;
}

/** One request's settings with the fetcher's defaults applied. */
export interface RequestSettings {
  timeoutMs: number;
  maxBytes: number;
  /** The extra headers, names lower-cased. */
  headers: Record<string, string>;
  /** True when a validation header is sent, so a 304 can be an answer. */
  conditional: boolean;
  allowNotModified: boolean;
  signal: AbortSignal | undefined;
  /** `json` (parse the body) or `image` (a raster image, not parsed). */
  accept: 'json' | 'image';
}

function checkTimeout(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > MAX_TIMEOUT_MS) {
    throw new InvalidOptionError(
      `${name} must be a whole number of milliseconds between 1 and ${MAX_TIMEOUT_MS}; got ${String(value)}`,
    );
  }
  return value;
}

function checkMaxBytes(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidOptionError(`${name} must be a positive whole number of bytes; got ${String(value)}`);
  }
  return value;
}

function checkBoolean(name: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new InvalidOptionError(`${name} must be true or false; got ${String(value)}`);
}

function checkUserAgent(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '' || CONTROL_CHARACTERS.test(value)) {
    throw new InvalidOptionError('userAgent must be a non-empty string without control characters');
  }
  return value;
}

function checkResolver(value: unknown): DnsResolver | undefined {
  if (value === undefined || typeof value === 'function') return value as DnsResolver | undefined;
  throw new InvalidOptionError('resolver must be a function (hostname) => Promise<{ address, family }[]>');
}

function checkCa(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list: unknown[] = Array.isArray(value) ? value : [value];
  const valid =
    list.length > 0 &&
    list.every((pem) => typeof pem === 'string' && pem.includes('-----BEGIN CERTIFICATE-----'));
  if (!valid) {
    throw new InvalidOptionError(
      'ca must be a PEM certificate ("-----BEGIN CERTIFICATE-----...") or a list of them',
    );
  }
  return list as string[];
}

function checkSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw new InvalidOptionError('signal must be an AbortSignal');
}

function checkAccept(value: unknown): 'json' | 'image' {
  if (value === undefined || value === 'json' || value === 'image') return value ?? 'json';
  throw new InvalidOptionError(`accept must be 'json' or 'image'; got ${String(value)}`);
}

function checkHeaders(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError('headers must be an object of header names to string values');
  }
  const headers: Record<string, string> = {};
  for (const [name, headerValue] of Object.entries(value)) {
    const lower = name.toLowerCase();
    if (!ALLOWED_REQUEST_HEADERS.has(lower)) {
      throw new InvalidOptionError(
        `the request header ${JSON.stringify(name)} is not allowed; only if-none-match and if-modified-since may be added`,
      );
    }
    if (typeof headerValue !== 'string' || CONTROL_CHARACTERS.test(headerValue)) {
      throw new InvalidOptionError(`the request header ${lower} must be a string without control characters`);
    }
    headers[lower] = headerValue;
  }
  return headers;
}

/** Checks the fetcher's options and applies the defaults; throws {@link InvalidOptionError}. */
export function resolveFetcherSettings(options: SafeFetchOptions = {}): FetcherSettings {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('the options of createSafeFetcher must be an object');
  }
  return {
    allowPrivateNetwork: checkBoolean('allowPrivateNetwork', options.allowPrivateNetwork) ?? false,
    resolver: checkResolver(options.resolver) ?? defaultResolver,
    timeoutMs: checkTimeout('timeoutMs', options.timeoutMs) ?? DEFAULT_TIMEOUT_MS,
    maxBytes: checkMaxBytes('maxBytes', options.maxBytes) ?? DOCUMENT_MAX_BYTES,
    userAgent: checkUserAgent(options.userAgent) ?? DEFAULT_USER_AGENT,
    ca: checkCa(options.ca),
    proxy: options.proxy === undefined ? undefined : parseProxyUrl(options.proxy),
  };
}

/** Checks one request's options and applies the fetcher's defaults; throws {@link InvalidOptionError}. */
export function resolveRequestSettings(request: SafeFetchRequest, fetcher: FetcherSettings): RequestSettings {
  if (typeof request !== 'object' || request === null) {
    throw new InvalidOptionError('the request options of fetch must be an object');
  }
  const headers = checkHeaders(request.headers);
  const accept = checkAccept(request.accept);
  const maxBytes = checkMaxBytes('maxBytes', request.maxBytes) ?? fetcher.maxBytes;
  return {
    timeoutMs: checkTimeout('timeoutMs', request.timeoutMs) ?? fetcher.timeoutMs,
    maxBytes: accept === 'image' ? Math.min(maxBytes, IMAGE_MAX_BYTES) : maxBytes,
    headers,
    conditional: Object.keys(headers).length > 0,
    allowNotModified: checkBoolean('allowNotModified', request.allowNotModified) ?? false,
    signal: checkSignal(request.signal),
    accept,
  };
}
