/**
 * The bearer check of a protected MCP server, independent of any framework: read the
 * credentials (RFC 6750 §2.1 header only), verify the token, check scopes, and on failure say
 * what to answer: 401 with a `WWW-Authenticate` challenge pointing at the protected-resource
 * metadata (MCP-RS-02, with `scope`, MCP-RS-03), 403 `insufficient_scope` (MCP-RS-06), or 400
 * `invalid_request`. The Hono and Express middleware are thin wrappers around it.
 *
 * Credential rules: exactly one `Authorization` header; scheme `Bearer`, case-insensitive;
 * the token must be an RFC 6750 b64token. A request with no `Authorization` header, or another
 * scheme, carries no bearer credentials and gets a challenge without `error` (RFC 6750 §3.1).
 * An `access_token` query parameter is refused with 400: tokens in URLs leak into logs and
 * histories (MCP-C-20; RFC 6750 §2.3 is not supported).
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import type { AuthInfo, TokenVerifier } from './auth-info.js';
import { type HttpReply, jsonReply } from './http-reply.js';
import { parseHttpsUrl } from './https-url.js';
import { type BearerErrorCode, wwwAuthenticate } from './www-authenticate.js';

/** Options of {@link createBearerAuthenticator} (and of the Hono and Express middleware). */
export interface BearerAuthOptions {
  /**
   * Verifies the token: ours from `createAccessTokenVerifier`, or any `OAuthTokenVerifier` of the
   * MCP SDK (its `InvalidTokenError` / `InsufficientScopeError` are understood too). When it has a
   * `requiredScopes` list, those scopes are named in challenges as well.
   */
  verifier: TokenVerifier & { readonly requiredScopes?: readonly string[] };
  /**
   * The URL of this server's protected-resource metadata, sent as `resource_metadata` in every
   * challenge (MCP-RS-02); build it with `protectedResourceMetadataUrl(resource)`.
   */
  resourceMetadataUrl: string | URL;
  /** Scopes every request must carry (403 `insufficient_scope` otherwise). Default none. */
  requiredScopes?: readonly string[];
}

/** The parts of a request the bearer check reads. */
export interface BearerRequest {
  /** Every `Authorization` header value (an array when the framework keeps duplicates apart). */
  authorization: string | readonly string[] | undefined;
  /** The request target (absolute URL, or path and query); only its query is looked at. */
  url?: string;
}

/** The outcome of a bearer check. */
export type BearerAuthResult = { ok: true; authInfo: AuthInfo } | { ok: false; reply: HttpReply };

/** Runs the bearer check on one request; never rejects. */
export type BearerAuthenticator = (request: BearerRequest) => Promise<BearerAuthResult>;

/** What the `Authorization` header carries. */
export type BearerCredentials =
  | { kind: 'none' }
  | { kind: 'malformed'; description: string }
  | { kind: 'token'; token: string };

const AUTH_SCHEME = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:[ \t]+([\s\S]*))?$/;
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const FORMAT_HINT = 'send exactly one "Authorization: Bearer <token>" header';

/** Reads the bearer token of a request's `Authorization` header value(s). */
export function readBearerCredentials(
  authorization: string | readonly string[] | undefined,
): BearerCredentials {
  const values =
    authorization === undefined ? [] : typeof authorization === 'string' ? [authorization] : authorization;
  if (values.length > 1) return { kind: 'malformed', description: FORMAT_HINT };
  const value = (values[0] ?? '').trim();
  if (value === '') return { kind: 'none' };
  const match = AUTH_SCHEME.exec(value);
  if (match === null) return { kind: 'malformed', description: FORMAT_HINT };
  if (match[1]?.toLowerCase() !== 'bearer') return { kind: 'none' };
  const token = (match[2] ?? '').trim();
  if (!B64TOKEN.test(token)) return { kind: 'malformed', description: FORMAT_HINT };
  return { kind: 'token', token };
}

/** True when the request target has an `access_token` query parameter. */
export function hasQueryToken(url: string | undefined): boolean {
  if (url === undefined) return false;
  const start = url.indexOf('?');
  if (start === -1) return false;
  const end = url.indexOf('#', start);
  return new URLSearchParams(url.slice(start + 1, end === -1 ? undefined : end)).has('access_token');
}

/** The OAuth error code of an error: ours (`error`) or the MCP SDK's (`errorCode`). */
function errorCodeOf(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { error: code, errorCode } = error as Error & { error?: unknown; errorCode?: unknown };
  if (typeof code === 'string') return code;
  return typeof errorCode === 'string' ? errorCode : undefined;
}

function statusOf(error: unknown, code: string | undefined): number {
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 500 && status <= 599) return status;
  return code === 'temporarily_unavailable' ? 503 : 500;
}

/**
 * Creates the bearer check for a protected resource.
 *
 * @throws InvalidOptionError when the verifier or `resourceMetadataUrl` is missing or invalid.
 */
export function createBearerAuthenticator(options: BearerAuthOptions): BearerAuthenticator {
  const { verifier } = options;
  if (typeof verifier?.verifyAccessToken !== 'function') {
    throw new InvalidOptionError('verifier must have a verifyAccessToken(token) method');
  }
  if (options.resourceMetadataUrl === undefined) {
    throw new InvalidOptionError(
      'resourceMetadataUrl is required: clients discover the authorization server from it',
    );
  }
  const resourceMetadataUrl = parseHttpsUrl(options.resourceMetadataUrl, 'resourceMetadataUrl').href;
  const requiredScopes = [...new Set(options.requiredScopes ?? [])];
  const challengeScopes = [...new Set([...requiredScopes, ...(verifier.requiredScopes ?? [])])];

  function challenge(status: number, error?: BearerErrorCode, description?: string): HttpReply {
    const header = wwwAuthenticate({
      resourceMetadataUrl,
      scope: challengeScopes,
      ...(error === undefined ? {} : { error }),
      ...(description === undefined ? {} : { errorDescription: description }),
    });
    if (error === undefined) return { status, headers: { 'WWW-Authenticate': header } };
    return jsonReply(status, { error, error_description: description ?? '' }, { 'WWW-Authenticate': header });
  }

  function failure(error: unknown): HttpReply {
    const code = errorCodeOf(error);
    const message = error instanceof Error ? error.message : '';
    switch (code) {
      case 'invalid_token':
        return challenge(401, 'invalid_token', message || 'the access token is invalid');
      case 'insufficient_scope':
        return challenge(403, 'insufficient_scope', message || 'the access token lacks a required scope');
      case 'invalid_request':
        return challenge(400, 'invalid_request', message || FORMAT_HINT);
      default: {
        const status = statusOf(error, code);
        const wire = status === 503 ? 'temporarily_unavailable' : 'server_error';
        const description =
          code === undefined ? 'the access token could not be checked; try again later' : message || wire;
        return jsonReply(status, { error: wire, error_description: description });
      }
    }
  }

  return async (request) => {
    if (hasQueryToken(request.url)) {
      return {
        ok: false,
        reply: challenge(400, 'invalid_request', `access tokens are not accepted in the URL; ${FORMAT_HINT}`),
      };
    }
    const credentials = readBearerCredentials(request.authorization);
    if (credentials.kind === 'none') return { ok: false, reply: challenge(401) };
    if (credentials.kind === 'malformed') {
      return { ok: false, reply: challenge(400, 'invalid_request', credentials.description) };
    }
    let authInfo: AuthInfo;
    try {
      authInfo = await verifier.verifyAccessToken(credentials.token);
    } catch (error) {
      return { ok: false, reply: failure(error) };
    }
    const missing = requiredScopes.filter((scope) => !authInfo.scopes.includes(scope));
    if (missing.length > 0) {
      return {
        ok: false,
        reply: challenge(
          403,
          'insufficient_scope',
          `the access token lacks the required scope(s): ${missing.join(' ')}`,
        ),
      };
    }
    return { ok: true, authInfo };
  };
}

/** The {@link BearerRequest} of a web-standard `Request`. */
export function bearerRequestOf(request: Request): BearerRequest {
  return { authorization: request.headers.get('authorization') ?? undefined, url: request.url };
}
