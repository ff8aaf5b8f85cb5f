/**
 * DEVELOPMENT ONLY, behind `dangerouslyAllowHttpClientIds`: fetching a client metadata document
 * over plain `http` from this machine's loopback interface (`http://127.0.0.1:<port>/...`,
 * `http://[::1]:<port>/...`, `http://localhost:<port>/...`). The same rules as the SSRF-safe
 * fetcher otherwise: no redirects, 200 only (304 when revalidating), a JSON content type, the
 * size cap and one deadline. `localhost` is always connected to at 127.0.0.1, never resolved.
 *
 * @module
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { decodeJson, readCapped } from '../../fetch/body.js';
import { Deadline } from '../../fetch/deadline.js';
import { FetchError } from '../../fetch/errors.js';
import { DEFAULT_TIMEOUT_MS, DOCUMENT_MAX_BYTES } from '../../fetch/limits.js';
import { networkFetchError } from '../../fetch/network-errors.js';
import { DEFAULT_USER_AGENT } from '../../fetch/options.js';
import {
  checkContentType,
  checkDeclaredLength,
  checkStatus,
  plainHeaders,
} from '../../fetch/response-checks.js';
import type { SafeFetcher, SafeFetchRequest, SafeFetchResponse } from '../../fetch/types.js';

/** The loopback hosts, exactly as they must be written, and where each is connected to. */
const LOOPBACK_TARGETS: Readonly<Record<string, string>> = {
  '127.0.0.1': '127.0.0.1',
  '[::1]': '::1',
  localhost: '127.0.0.1',
};

/**
 * True when `clientId` starts with `http://` followed by a loopback host written in lower case
 * (`127.0.0.1`, `[::1]` or `localhost`) and an optional port, then a `/` (the only `http`
 * `client_id`s `dangerouslyAllowHttpClientIds` admits).
 */
export function isHttpLoopbackClientId(clientId: string): boolean {
  const match = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(?::(\d{1,5}))?\//.exec(clientId);
  if (match === null) return false;
  const port = match[2];
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65_535);
}

function invalid(url: string, problem: string): FetchError {
  return new FetchError('ERR_FETCH_INVALID_URL', url, `${url} ${problem}`);
}

/** Options of {@link createLoopbackHttpFetcher}. */
export interface LoopbackHttpFetcherOptions {
  /** The deadline of one fetch, in ms. Default 5000. */
  timeoutMs?: number;
  /** The body size cap, in bytes, inclusive. Default 5120. */
  maxBytes?: number;
}

/** A fetcher for `http` loopback documents only; see the module documentation. */
export function createLoopbackHttpFetcher(options: LoopbackHttpFetcherOptions = {}): SafeFetcher {
  const defaultTimeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const defaultMaxBytes = options.maxBytes ?? DOCUMENT_MAX_BYTES;
  let closed = false;

  const fetchOnce = async (input: string, request: SafeFetchRequest = {}): Promise<SafeFetchResponse> => {
    if (!isHttpLoopbackClientId(input) || input.includes('#') || input.includes('@')) {
      throw invalid(input, 'is not an http URL on 127.0.0.1, [::1] or localhost');
    }
    const url = new URL(input);
    if (closed)
      throw new FetchError(
        'ERR_FETCH_NETWORK',
        url.href,
        `${url.href} was not fetched: the fetcher is closed`,
      );
    const timeoutMs = request.timeoutMs ?? defaultTimeout;
    const maxBytes = request.maxBytes ?? defaultMaxBytes;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      const lower = name.toLowerCase();
      if (lower === 'if-none-match' || lower === 'if-modified-since') headers[lower] = value;
    }
    const conditional = Object.keys(headers).length > 0;
    const target = LOOPBACK_TARGETS[url.host.replace(/:\d+$/, '')] ?? '127.0.0.1';
    const deadline = new Deadline(timeoutMs, request.signal);
    try {
      const response = await new Promise<IncomingMessage>((resolve, reject) => {
        const outgoing = httpRequest({
          host: target,
          port: url.port === '' ? 80 : Number(url.port),
          path: `${url.pathname}${url.search}`,
          method: 'GET',
          headers: {
            host: url.host,
            accept: 'application/json',
            'user-agent': DEFAULT_USER_AGENT,
            ...headers,
          },
          signal: deadline.signal,
          agent: false,
        });
        outgoing.on('response', resolve);
        outgoing.on('error', reject);
        outgoing.end();
      });
      response.on('error', () => {});
      try {
        const plain = plainHeaders(response.headers);
        const status = checkStatus(url, response.statusCode ?? 0, plain, {
          allowNotModified: request.allowNotModified === true,
          conditional,
        });
        if (status === 200) checkContentType(url, plain);
        checkDeclaredLength(url, plain, maxBytes);
        const body = await readCapped(response, maxBytes, url);
        const base = {
          url: url.href,
          headers: plain,
          body,
          byteLength: body.byteLength,
          remoteAddress: target,
        };
        if (status === 304) return { ...base, status, text: '', json: undefined };
        return { ...base, status, ...decodeJson(body, url) };
      } finally {
        if (!response.readableEnded) response.destroy();
      }
    } catch (error) {
      if (error instanceof FetchError) throw error;
      if (deadline.cause === 'timeout') {
        throw new FetchError(
          'ERR_FETCH_TIMEOUT',
          url.href,
          `${url.href} did not complete within ${timeoutMs} ms`,
          {
            cause: error,
          },
        );
      }
      if (deadline.cause === 'caller') throw deadline.signal.reason;
      throw networkFetchError(error, url);
    } finally {
      deadline.dispose();
    }
  };

  return {
    fetch: fetchOnce,
    close: async () => {
      closed = true;
    },
  };
}
