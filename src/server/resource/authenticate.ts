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
import {
  boundJktOf,
  createDpopResourceCheck,
  type DpopResourceOptions,
  readDpopCredentials,
} from '../dpop/resource.js';
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
  /**
   * DPoP (RFC 9449): `Authorization: DPoP <token>` with a `DPoP` proof header is accepted for
   * tokens bound to a key (`cnf.jkt`); the options add server nonces, a shared replay store and
   * the algorithms. `false` accepts no DPoP requests. Either way, a token bound to a key is
   * refused when presented as a Bearer token. Default: on, with a per-process replay record.
   */
  dpop?: DpopResourceOptions | false;
}

/** The parts of a request the bearer check reads. */
export interface BearerRequest {
  /** Every `Authorization` header value (an array when the framework keeps duplicates apart). */
  authorization: string | readonly string[] | undefined;
  /**
   * The request target (absolute URL, or path and query). Its query is looked at; for DPoP it
   * must be absolute (the proof's `htu` is compared with it).
   */
  url?: string;
  /** The HTTP method (DPoP `htm`). */
  method?: string;
  /** Every `DPoP` proof header value. */
  dpop?: string | readonly string[];
}

/** The outcome of a bearer check. */
export type BearerAuthResult =
  /** `headers` go on the response (a fresh `DPoP-Nonce` when DPoP nonces are on). */
  { ok: true; authInfo: AuthInfo; headers?: Record<string, string> } | { ok: false; reply: HttpReply };

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
  const dpop = options.dpop === false ? undefined : createDpopResourceCheck(options.dpop);

  function challenge(
    status: number,
    error?: BearerErrorCode,
    description?: string,
    scheme: 'Bearer' | 'DPoP' = 'Bearer',
    extraHeaders: Record<string, string> = {},
  ): HttpReply {
    const header = wwwAuthenticate({
      resourceMetadataUrl,
      scope: challengeScopes,
      ...(scheme === 'DPoP' ? { scheme, algs: dpop?.algorithms ?? [] } : {}),
      ...(error === undefined ? {} : { error }),
      ...(description === undefined ? {} : { errorDescription: description }),
    });
    if (error === undefined) return { status, headers: { 'WWW-Authenticate': header, ...extraHeaders } };
    return jsonReply(
      status,
      { error, error_description: description ?? '' },
      { 'WWW-Authenticate': header, ...extraHeaders },
    );
  }

  function failure(error: unknown, scheme: 'Bearer' | 'DPoP' = 'Bearer'): HttpReply {
    const code = errorCodeOf(error);
    const message = error instanceof Error ? error.message : '';
    switch (code) {
      case 'invalid_token':
        return challenge(401, 'invalid_token', message || 'the access token is invalid', scheme);
      case 'insufficient_scope':
        return challenge(
          403,
          'insufficient_scope',
          message || 'the access token lacks a required scope',
          scheme,
        );
      case 'invalid_request':
        return challenge(400, 'invalid_request', message || FORMAT_HINT, scheme);
      default: {
        const status = statusOf(error, code);
        const wire = status === 503 ? 'temporarily_unavailable' : 'server_error';
        const description =
          code === undefined ? 'the access token could not be checked; try again later' : message || wire;
        return jsonReply(status, { error: wire, error_description: description });
      }
    }
  }

  function missingScopes(authInfo: AuthInfo): string[] {
    return requiredScopes.filter((scope) => !authInfo.scopes.includes(scope));
  }

  /** The `Authorization: DPoP` path (RFC 9449 §7.1): the token, its scopes, then the proof. */
  async function authenticateDpop(
    check: NonNullable<typeof dpop>,
    token: string,
    request: BearerRequest,
  ): Promise<BearerAuthResult> {
    let authInfo: AuthInfo;
    try {
      authInfo = await verifier.verifyAccessToken(token);
    } catch (error) {
      return { ok: false, reply: failure(error, 'DPoP') };
    }
    const result = await check.check(authInfo, {
      proof: request.dpop,
      method: request.method ?? 'GET',
      url: request.url ?? '',
    });
    if (!result.ok) {
      return { ok: false, reply: challenge(401, result.error, result.description, 'DPoP', result.headers) };
    }
    const missing = missingScopes(authInfo);
    if (missing.length > 0) {
      return {
        ok: false,
        reply: challenge(
          403,
          'insufficient_scope',
          `the access token lacks the required scope(s): ${missing.join(' ')}`,
          'DPoP',
        ),
      };
    }
    return { ok: true, authInfo, headers: result.headers };
  }

  return async (request) => {
    if (hasQueryToken(request.url)) {
      return {
        ok: false,
        reply: challenge(400, 'invalid_request', `access tokens are not accepted in the URL; ${FORMAT_HINT}`),
      };
    }
    const dpopCredentials = dpop === undefined ? undefined : readDpopCredentials(request.authorization);
    if (dpop !== undefined && dpopCredentials !== undefined) {
      if (dpopCredentials.kind === 'malformed') {
        return { ok: false, reply: challenge(400, 'invalid_request', dpopCredentials.description, 'DPoP') };
      }
      return authenticateDpop(dpop, dpopCredentials.token, request);
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
    if (boundJktOf(authInfo) !== undefined) {
      // RFC 9449 §7.1: a DPoP-bound token is no bearer token; without its key's proof it is refused.
      return {
        ok: false,
        reply: challenge(
          401,
          'invalid_token',
          'this access token is bound to a DPoP key: present it as "Authorization: DPoP <token>" with a DPoP proof',
          dpop === undefined ? 'Bearer' : 'DPoP',
        ),
      };
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
  const dpop = request.headers.get('dpop');
  return {
    authorization: request.headers.get('authorization') ?? undefined,
    url: request.url,
    method: request.method,
    ...(dpop === null ? {} : { dpop }),
  };
}
