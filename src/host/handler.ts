/**
 * `serveClientMetadata`: a web-standard handler (Request -> Response) that hosts a client
 * metadata document and its JWKS correctly: `application/json`, `Cache-Control`, `ETag` and
 * `304 Not Modified`, `HEAD`, 405 for other methods, and never a document whose `client_id` is
 * not the URL it was requested at. Runtime-neutral (Web APIs only).
 *
 * @module
 */
import { entityTag, ifNoneMatchMatches } from './etag.js';
import {
  type HostSettings,
  resolveHostSettings,
  type ServeClientMetadataOptions,
  type ServedBody,
} from './options.js';
import { servedUrl } from './served-url.js';

/** What a refused request was: the document's `client_id` and the URL it was requested as. */
export interface ClientIdMismatch {
  clientId: string;
  servedUrl: string;
}

/** Options of {@link serveClientMetadata}; see {@link ServeClientMetadataOptions}. */
export interface ServeClientMetadataHandlerOptions extends ServeClientMetadataOptions {
  /** Called when a request for the document is refused because of a `client_id` mismatch (for logs). */
  onClientIdMismatch?: (mismatch: ClientIdMismatch) => void;
}

/**
 * Answers requests for the document and the JWKS, and `undefined` for any other path (so it can
 * sit in front of other handlers). `fetch` answers 404 instead: a complete fetch handler.
 */
export interface ClientMetadataHandler {
  (request: Request): Promise<Response | undefined>;
  /** Like calling the handler, but other paths get `404 Not Found`. */
  fetch(request: Request): Promise<Response>;
  /** The document's `client_id`. */
  readonly clientId: string;
  /** The path the document is served at. */
  readonly documentPath: string;
  /** The path the JWKS is served at, when one is served. */
  readonly jwksPath: string | undefined;
}

const ALLOW = 'GET, HEAD';

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

function mismatchResponse(mismatch: ClientIdMismatch): Response {
  return text(
    500,
    [
      'Refusing to serve this client metadata document: its client_id is not the URL it was requested at.',
      `  client_id:    ${mismatch.clientId}`,
      `  requested as: ${mismatch.servedUrl}`,
      'An authorization server fetching this URL would refuse the document (CIMD-DOC-03: client_id must equal the URL byte for byte).',
      'Request it at its client_id, fix client_id, or (behind a proxy) configure the public URL.',
      '',
    ].join('\n'),
  );
}

async function bodyResponse(
  request: Request,
  body: ServedBody & { etag: Promise<string> },
  settings: HostSettings,
): Promise<Response> {
  const etag = await body.etag;
  const headers: Record<string, string> = {
    'cache-control': settings.cacheControl,
    etag,
    'x-content-type-options': 'nosniff',
    'access-control-allow-origin': '*',
  };
  if (ifNoneMatchMatches(request.headers.get('if-none-match'), etag)) {
    return new Response(null, { status: 304, headers });
  }
  headers['content-type'] = 'application/json';
  headers['content-length'] = String(body.bytes.byteLength);
  return new Response(request.method === 'HEAD' ? null : (body.bytes as Uint8Array<ArrayBuffer>), {
    status: 200,
    headers,
  });
}

/**
 * A handler serving a client metadata document (and optionally its JWKS). The document is served
 * with `Content-Type: application/json`, `Cache-Control` (default `public, max-age=300`), a
 * strong `ETag` (`If-None-Match` gets `304`), for `GET` and `HEAD` (other methods get `405` with
 * `Allow`). A request for the document at a URL other than its `client_id` (origin + path +
 * query; behind a proxy, see `publicUrl` and `trustProxy`) gets `500` with an explanation and
 * never the document: an authorization server would refuse it there (CIMD-DOC-03).
 *
 * @throws InvalidOptionError at construction for a document that is not a JSON object with an
 *   absolute-URL `client_id`, a JWKS or inline `jwks` carrying a private key member, bad paths.
 * @throws CimdError `ERR_CIMD_CLIENT_ID_MISMATCH` at construction when `publicUrl` names a
 *   document URL other than `client_id`.
 */
export function serveClientMetadata(options: ServeClientMetadataHandlerOptions): ClientMetadataHandler {
  const settings = resolveHostSettings(options);
  const onMismatch = options.onClientIdMismatch;
  const withTag = (body: ServedBody) => ({ ...body, etag: entityTag(body.bytes) });
  const document = withTag(settings.document);
  const jwks = settings.jwks === undefined ? undefined : withTag(settings.jwks);
  const policy = {
    trustProxy: settings.trustProxy,
    ...(settings.publicOrigin !== undefined ? { publicOrigin: settings.publicOrigin } : {}),
  };

  const handle = async (request: Request): Promise<Response | undefined> => {
    const url = new URL(request.url);
    const target = url.pathname === document.path ? document : url.pathname === jwks?.path ? jwks : undefined;
    if (target === undefined) return undefined;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return text(405, `Method ${request.method} is not allowed here; use GET or HEAD.\n`, { allow: ALLOW });
    }
    if (target === document) {
      const seen =
        settings.publicDocumentUrl !== undefined
          ? `${settings.publicDocumentUrl}${url.search}`
          : servedUrl(request, policy);
      if (seen !== settings.clientId) {
        const mismatch = { clientId: settings.clientId, servedUrl: seen };
        onMismatch?.(mismatch);
        return mismatchResponse(mismatch);
      }
    }
    return bodyResponse(request, target, settings);
  };

  return Object.assign(handle, {
    fetch: async (request: Request) => (await handle(request)) ?? text(404, 'Not found.\n'),
    clientId: settings.clientId,
    documentPath: document.path,
    jwksPath: jwks?.path,
  });
}
