/**
 * The public types of the SSRF-safe fetcher.
 *
 * @module
 */
import type { DnsResolver } from './dns.js';

/** Options of {@link createSafeFetcher}; each is checked when the fetcher is created. */
export interface SafeFetchOptions {
  /**
   * LOUD opt-in, default `false`. Lifts every "not on the public internet" rule at once:
   * special-purpose resolved and connected addresses (loopback, private, link-local, ...),
   * IP-literal hosts, and non-public names such as `localhost`. For local development and tests
   * only. It never lifts https-only, the redirect ban, the size cap or the deadline.
   */
  allowPrivateNetwork?: boolean;
  /**
   * Resolves host names, before connecting (given the fetch's abort signal) and again in the
   * connection's lookup. Default: `defaultResolver`, c-ares DNS queries with a deadline per
   * lookup and a bounded number in flight, after the hosts file (see `createDnsResolver`, which
   * also makes one with other servers or limits). Inject one in tests.
   */
  resolver?: DnsResolver;
  /**
   * The deadline of one fetch, in milliseconds: ONE timer over DNS, connect, TLS, headers and the
   * whole body, so a body that keeps trickling still fails. A positive integer; default 5000.
   * Also bounds the TCP+TLS connect of every new connection.
   */
  timeoutMs?: number;
  /**
   * The size cap of a response body, in bytes, inclusive (a body of exactly `maxBytes` passes).
   * A positive integer; default 5120 ({@link DOCUMENT_MAX_BYTES}). Use {@link JWKS_MAX_BYTES} for key sets.
   */
  maxBytes?: number;
  /** The `User-Agent` request header. Default `mcp-cimd/<version>`. No control characters. */
  userAgent?: string;
  /**
   * Extra trust anchors in PEM, ADDED to Node's bundled roots (`tls.rootCertificates`), for a
   * private PKI and tests. Default: none (Node's default trust store, `NODE_EXTRA_CA_CERTS`
   * included). When given, `NODE_EXTRA_CA_CERTS` is not consulted: add those certificates here.
   */
  ca?: string | readonly string[];
  /**
   * LOUD opt-in, default none: an HTTP CONNECT proxy (`http://host:port` or `https://…`, user
   * info for Basic proxy authentication) every fetch goes through, for networks without direct
   * egress. The address checks stay: names must still resolve HERE to public addresses, and the
   * tunnel is opened to the vetted address (never the name), with TLS verified against the name
   * end to end. What the proxy itself reaches is its egress rules' business. Proxy environment
   * variables (`HTTPS_PROXY`, ...) are never read.
   */
  proxy?: string | URL;
}

/** Per-request options of {@link SafeFetcher.fetch}. */
export interface SafeFetchRequest {
  /** The size cap of this response, in bytes, inclusive. Default: the fetcher's `maxBytes`. */
  maxBytes?: number;
  /** The deadline of this fetch, in milliseconds. Default: the fetcher's `timeoutMs`. */
  timeoutMs?: number;
  /**
   * Extra request headers. Only the validation headers `if-none-match` and `if-modified-since`
   * (any case) are allowed; any other name is an `InvalidOptionError` (`ERR_INVALID_OPTION`).
   */
  headers?: Record<string, string>;
  /**
   * When `true`, a `304 Not Modified` answer to a conditional request (one that sent
   * `if-none-match` or `if-modified-since`) is a success with status 304 and no body; used to
   * revalidate a cached copy. Default `false`: only `200` succeeds.
   */
  allowNotModified?: boolean;
  /** Aborts the fetch; the fetch then rejects with the signal's reason (not a `FetchError`). */
  signal?: AbortSignal;
  /**
   * What the response must be. `json` (default): a JSON content type, the body parsed. `image`
   * (a client's logo): `Accept: image/png, image/jpeg, image/gif, image/webp`, one of those content
   * types (never SVG, which can carry script), the body capped at `IMAGE_MAX_BYTES` (64 KiB,
   * or `maxBytes` when smaller) and not parsed (`text` is `''`, `json` undefined).
   */
  accept?: 'json' | 'image';
}

/** A successful response. */
export interface SafeFetchResponse {
  /** The URL fetched, as normalised by the WHATWG URL parser. */
  url: string;
  /** `200`, or `304` when the request allowed it. */
  status: 200 | 304;
  /** The response headers, names lower-cased, repeated headers joined with `, `; a plain object. */
  headers: Record<string, string>;
  /** The body (empty for 304). */
  body: Uint8Array;
  /** The body decoded as UTF-8 (`''` for 304 and for images). */
  text: string;
  /** The body's length in bytes. */
  byteLength: number;
  /** The body parsed as JSON for 200; `undefined` for 304 and for images. */
  json: unknown;
  /** The IP address of the peer the response came from, e.g. `'93.184.215.14'`. */
  remoteAddress: string;
}

/** An SSRF-safe HTTPS fetcher for small JSON documents; see {@link createSafeFetcher}. */
export interface SafeFetcher {
  /**
   * GETs `url` (https only, no redirects, 200 only, JSON content type, size cap, one deadline).
   * Rejects with a `FetchError` saying why, an `InvalidOptionError` for bad `request` options,
   * or the reason of `request.signal` when the caller aborted.
   */
  fetch(url: string, request?: SafeFetchRequest): Promise<SafeFetchResponse>;
  /**
   * Closes the fetcher's connections, after fetches in flight settle (each is bounded by its
   * deadline). Fetches started afterwards fail with `ERR_FETCH_NETWORK`. Calling it again is safe.
   */
  close(): Promise<void>;
}
