/**
 * The options of `serveClientMetadata`, checked once at construction: the document and JWKS are
 * parsed, the JWKS is refused if it would leak a private key, and the paths are settled.
 *
 * @module
 */
import { CimdError, InvalidOptionError } from '../errors.js';
import { lintJwks } from '../index.js';

/** Default `Cache-Control` of the document and the JWKS: `public, max-age=300` (five minutes). */
export const DEFAULT_HOST_CACHE_CONTROL = 'public, max-age=300';

/** Default path of the JWKS when the document's `jwks_uri` does not name one on its origin. */
export const DEFAULT_JWKS_PATH = '/jwks.json';

/** Options of `serveClientMetadata`. */
export interface ServeClientMetadataOptions {
  /**
   * The client metadata document: JSON text (served byte for byte) or an object (served as
   * compact JSON). It must be a JSON object whose `client_id` is an absolute URL.
   */
  document: string | Readonly<Record<string, unknown>>;
  /**
   * A public JWK Set to serve too (JSON text or an object), for a document whose `jwks_uri`
   * points here. Refused at construction if a key carries a private member. Default: none.
   */
  jwks?: string | Readonly<Record<string, unknown>>;
  /**
   * The path the document is served at. Default: the path of its `client_id`. Another path only
   * works behind a proxy that rewrites it, with `publicUrl` set to the document's public URL.
   */
  documentPath?: string;
  /**
   * The path the JWKS is served at. Default: the path of the document's `jwks_uri` when it is on
   * the `client_id`'s origin, else `/jwks.json`.
   */
  jwksPath?: string;
  /** The `Cache-Control` of both responses. Default `public, max-age=300`. */
  cacheControl?: string;
  /**
   * Behind a reverse proxy: where clients and servers reach this server, since the request URL
   * then names the proxy's upstream. Either the public origin (`https://app.example.com`; the
   * request's path is kept) or the document's full public URL (which must equal `client_id`).
   * Default: the request's own URL decides.
   */
  publicUrl?: string;
  /**
   * Take the public origin from the proxy's `Forwarded` or `X-Forwarded-Proto` and
   * `X-Forwarded-Host` headers. Only behind a proxy that sets them. Default `false`; ignored
   * when `publicUrl` is given.
   */
  trustProxy?: boolean;
}

/** Control characters, which a header value must not carry. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** A body ready to serve. */
export interface ServedBody {
  path: string;
  bytes: Uint8Array;
}

/** The options with defaults applied. */
export interface HostSettings {
  clientId: string;
  document: ServedBody;
  jwks: ServedBody | undefined;
  cacheControl: string;
  /** The document's public URL when `publicUrl` names it in full. */
  publicDocumentUrl: string | undefined;
  /** The public origin when `publicUrl` is an origin. */
  publicOrigin: string | undefined;
  trustProxy: boolean;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJsonObject(name: string, input: unknown): { value: Record<string, unknown>; text: string } {
  if (typeof input === 'string') {
    let value: unknown;
    try {
      value = JSON.parse(input);
    } catch {
      throw new InvalidOptionError(`${name} is not valid JSON`);
    }
    if (!isPlainObject(value)) throw new InvalidOptionError(`${name} must be a JSON object`);
    return { value, text: input };
  }
  if (!isPlainObject(input)) throw new InvalidOptionError(`${name} must be a JSON object or its text`);
  return { value: input, text: JSON.stringify(input) };
}

function parseUrl(value: unknown): URL | undefined {
  try {
    return typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    return undefined;
  }
}

function checkPath(name: string, path: string): string {
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
    throw new InvalidOptionError(
      `${name} must be a path starting with "/" (no query or fragment); got ${JSON.stringify(path)}`,
    );
  }
  return path;
}

/** Refuses a JWK Set a private key would leak through (CIMD-KEY-03) or that is not a set (CIMD-KEY-01). */
function checkPublicJwks(name: string, jwks: unknown): void {
  const fatal = lintJwks(jwks, { path: '$' }).filter(
    (finding) => finding.id === 'CIMD-KEY-03' || finding.id === 'CIMD-KEY-01',
  );
  const first = fatal[0];
  if (first !== undefined) {
    throw new InvalidOptionError(
      `refusing to serve ${name}: ${first.id} ${first.message} (at ${first.path})`,
    );
  }
}

function resolvePublicUrl(
  value: string | undefined,
  clientId: string,
): Pick<HostSettings, 'publicDocumentUrl' | 'publicOrigin'> {
  if (value === undefined) return { publicDocumentUrl: undefined, publicOrigin: undefined };
  const url = parseUrl(value);
  if (
    url === undefined ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.search ||
    url.hash ||
    url.username
  ) {
    throw new InvalidOptionError(
      `publicUrl must be an http(s) origin or URL without query, fragment or credentials; got ${JSON.stringify(value)}`,
    );
  }
  if (url.pathname === '/') return { publicDocumentUrl: undefined, publicOrigin: url.origin };
  const publicDocumentUrl = `${url.origin}${url.pathname}`;
  if (publicDocumentUrl !== clientId) {
    throw new CimdError(
      'ERR_CIMD_CLIENT_ID_MISMATCH',
      `the document's client_id ${clientId} is not its public URL ${publicDocumentUrl}: an authorization server would refuse it; fix client_id or publicUrl`,
    );
  }
  return { publicDocumentUrl, publicOrigin: undefined };
}

/**
 * Checks the options of `serveClientMetadata` and applies the defaults.
 *
 * @throws InvalidOptionError for a document that is not a JSON object with an absolute-URL
 *   `client_id`, a JWKS (or inline `jwks`) carrying private members, bad paths or headers.
 * @throws CimdError `ERR_CIMD_CLIENT_ID_MISMATCH` when `publicUrl` names a document URL other
 *   than `client_id`.
 */
export function resolveHostSettings(options: ServeClientMetadataOptions): HostSettings {
  if (!isPlainObject(options))
    throw new InvalidOptionError('the options of serveClientMetadata must be an object');
  const document = parseJsonObject('document', options.document);
  const clientId = document.value.client_id;
  const clientUrl = parseUrl(clientId);
  if (typeof clientId !== 'string' || clientUrl === undefined) {
    throw new InvalidOptionError(
      `the document's client_id must be the absolute URL it is served at; got ${JSON.stringify(clientId)}`,
    );
  }
  if (document.value.jwks !== undefined) checkPublicJwks("the document's inline jwks", document.value.jwks);

  let jwks: ServedBody | undefined;
  const documentPath = checkPath('documentPath', options.documentPath ?? clientUrl.pathname);
  if (options.jwks !== undefined) {
    const parsed = parseJsonObject('jwks', options.jwks);
    checkPublicJwks('the JWKS', parsed.value);
    const jwksUri = parseUrl(document.value.jwks_uri);
    const defaultPath =
      jwksUri !== undefined && jwksUri.origin === clientUrl.origin ? jwksUri.pathname : DEFAULT_JWKS_PATH;
    const path = checkPath('jwksPath', options.jwksPath ?? defaultPath);
    if (path === documentPath)
      throw new InvalidOptionError(`the document and the JWKS cannot share the path ${path}`);
    jwks = { path, bytes: new TextEncoder().encode(parsed.text) };
  }

  const publicUrl = resolvePublicUrl(options.publicUrl, clientId);
  if (documentPath !== clientUrl.pathname && publicUrl.publicDocumentUrl === undefined) {
    throw new InvalidOptionError(
      `documentPath ${documentPath} is not the path of client_id ${clientId}, so every request would be refused; a different local path only works behind a proxy, with publicUrl set to the document's public URL`,
    );
  }
  const cacheControl = options.cacheControl ?? DEFAULT_HOST_CACHE_CONTROL;
  if (
    typeof cacheControl !== 'string' ||
    cacheControl.trim() === '' ||
    CONTROL_CHARACTERS.test(cacheControl)
  ) {
    throw new InvalidOptionError('cacheControl must be a non-empty header value without control characters');
  }
  return {
    clientId,
    document: { path: documentPath, bytes: new TextEncoder().encode(document.text) },
    jwks,
    cacheControl,
    ...publicUrl,
    trustProxy: options.trustProxy === true,
  };
}
