/**
 * The SSRF-safe fetcher: GET small JSON documents (client metadata, JWKS) over https from hosts
 * on the public internet, with no redirects, 200 only, a JSON content type, a size cap and one
 * deadline.
 *
 * @module
 */
import type { Readable } from 'node:stream';
import { Agent } from 'undici';
import { decodeJson, readCapped } from './body.js';
import { createGuardedConnector, extraCaContext, PeerAddresses } from './connector.js';
import { IMAGE_MEDIA_TYPES } from './content-type.js';
import { Deadline } from './deadline.js';
import { FetchError } from './errors.js';
import { networkFetchError } from './network-errors.js';
import {
  type FetcherSettings,
  type RequestSettings,
  resolveFetcherSettings,
  resolveRequestSettings,
} from './options.js';
import { assertPublicTarget } from './preflight.js';
import { createProxyConnector } from './proxy.js';
import {
  checkContentType,
  checkDeclaredLength,
  checkStatus,
  plainHeaders,
  type RawHeaders,
} from './response-checks.js';
import { echo, parseTargetUrl } from './target-url.js';
import type { SafeFetcher, SafeFetchOptions, SafeFetchRequest, SafeFetchResponse } from './types.js';

/** What the fetcher holds for its whole life. */
interface FetcherContext {
  settings: FetcherSettings;
  agent: Agent;
  peers: PeerAddresses;
  closed: boolean;
}

/** A response whose headers arrived and whose body is still to be read. */
interface Answer {
  status: number;
  headers: RawHeaders;
  body: Readable;
  remoteAddress: string;
}

/** Sends the GET on the fetcher's agent; resolves when the response headers arrive. */
function send(
  context: FetcherContext,
  url: URL,
  request: RequestSettings,
  signal: AbortSignal,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    context.agent.request(
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: {
          accept: request.accept === 'image' ? IMAGE_MEDIA_TYPES.join(', ') : 'application/json',
          'user-agent': context.settings.userAgent,
          ...request.headers,
        },
        signal,
        headersTimeout: request.timeoutMs,
        bodyTimeout: request.timeoutMs,
      },
      (error, data) => {
        if (error !== null) {
          reject(error);
          return;
        }
        // Read now, while the response's connection is the origin's live one (see PeerAddresses).
        const remoteAddress = context.peers.get(url.origin) ?? '';
        resolve({ status: data.statusCode, headers: data.headers, body: data.body, remoteAddress });
      },
    );
  });
}

function ignore(): void {}

/** Checks the answer and reads its body; the body stream is consumed or destroyed on every path. */
async function readAnswer(url: URL, answer: Answer, request: RequestSettings): Promise<SafeFetchResponse> {
  const { body } = answer;
  // Destroying an unfinished undici body emits an abort error; nobody else listens for it.
  body.on('error', ignore);
  try {
    const headers = plainHeaders(answer.headers);
    const status = checkStatus(url, answer.status, headers, request);
    if (status === 200) checkContentType(url, headers, request.accept);
    checkDeclaredLength(url, headers, request.maxBytes);
    const bytes = await readCapped(body, request.maxBytes, url);
    const base = {
      url: url.href,
      headers,
      body: bytes,
      byteLength: bytes.byteLength,
      remoteAddress: answer.remoteAddress,
    };
    if (status === 304 || request.accept === 'image') return { ...base, status, text: '', json: undefined };
    return { ...base, status, ...decodeJson(bytes, url, headers) };
  } finally {
    if (!body.readableEnded) body.destroy();
  }
}

/** The error a failed fetch rejects with: ours as is, the deadline's, the caller's reason, or a network error. */
function failure(error: unknown, url: URL, deadline: Deadline, timeoutMs: number): unknown {
  if (error instanceof FetchError) return error;
  if (deadline.cause === 'timeout') {
    return new FetchError(
      'ERR_FETCH_TIMEOUT',
      url.href,
      `${echo(url.href)} did not complete within ${timeoutMs} ms (connect, headers and body together): the server is too slow; try again later`,
      { cause: error },
    );
  }
  if (deadline.cause === 'caller') return deadline.signal.reason;
  return networkFetchError(error, url);
}

async function fetchOnce(
  context: FetcherContext,
  input: string,
  options: SafeFetchRequest,
): Promise<SafeFetchResponse> {
  const request = resolveRequestSettings(options, context.settings);
  const url = parseTargetUrl(input);
  if (context.closed) {
    throw new FetchError(
      'ERR_FETCH_NETWORK',
      url.href,
      `${echo(url.href)} was not fetched: the fetcher is closed`,
    );
  }
  const deadline = new Deadline(request.timeoutMs, request.signal);
  try {
    await assertPublicTarget(url, context.settings, deadline.signal);
    const answer = await send(context, url, request, deadline.signal);
    return await readAnswer(url, answer, request);
  } catch (error) {
    throw failure(error, url, deadline, request.timeoutMs);
  } finally {
    deadline.dispose();
  }
}

/**
 * Creates an SSRF-safe fetcher for small JSON documents: the authorization server fetches every
 * client metadata document, JWKS and `jwks_uri` through one.
 *
 * Each {@link SafeFetcher.fetch}:
 * - accepts only `https:` URLs without userinfo or fragment (any port);
 * - unless `allowPrivateNetwork`, refuses IP-literal hosts outside the public internet,
 *   special-use names (`localhost`, `.internal`, single labels, ...) and names that resolve to
 *   ANY special-purpose address, before connecting; the connection's own lookup vets the
 *   addresses again and the connected peer is checked once more (DNS rebinding);
 * - never uses a proxy unless the `proxy` option names one (proxy environment variables and the
 *   global dispatcher are ignored); through one, the checks above still run here and the
 *   tunnel goes to the vetted address, not the name (see `proxy.ts`);
 * - sends `Accept: application/json` and `User-Agent`, never cookies or credentials;
 * - never follows redirects (`ERR_FETCH_REDIRECT`), accepts only 200 (and 304 when asked);
 * - requires a JSON `Content-Type`, caps the body at `maxBytes` (default 5120) and fails the whole
 *   exchange after `timeoutMs` (default 5000 ms).
 *
 * Connections are kept alive and reused, one per origin at a time. Call {@link SafeFetcher.close}
 * when done. Throws `InvalidOptionError` for invalid options.
 */
export function createSafeFetcher(options: SafeFetchOptions = {}): SafeFetcher {
  const settings = resolveFetcherSettings(options);
  const peers = new PeerAddresses();
  const connect =
    settings.proxy === undefined
      ? createGuardedConnector(
          {
            allowPrivateNetwork: settings.allowPrivateNetwork,
            resolver: settings.resolver,
            connectTimeoutMs: settings.timeoutMs,
            ca: settings.ca,
          },
          peers,
        )
      : createProxyConnector(
          {
            proxy: settings.proxy,
            resolver: settings.resolver,
            allowPrivateNetwork: settings.allowPrivateNetwork,
            connectTimeoutMs: settings.timeoutMs,
            secureContext: extraCaContext(settings.ca),
          },
          peers,
        );
  // One connection per origin, one request at a time on it: the peer address recorded for an
  // origin is then the one the response came from.
  const agent = new Agent({ connect, connections: 1, pipelining: 1, allowH2: false });
  const context: FetcherContext = { settings, agent, peers, closed: false };
  let closing: Promise<void> | undefined;
  return {
    fetch: (url, request = {}) => fetchOnce(context, url, request),
    close: () => {
      context.closed = true;
      closing ??= agent.close();
      return closing;
    },
  };
}
