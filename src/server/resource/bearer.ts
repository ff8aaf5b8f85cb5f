/**
 * The access-token verifier for an MCP server (the resource server): checks an RFC 9068 JWT
 * access token from its authorization server and says what it establishes. Its
 * `verifyAccessToken` has the MCP SDK's `OAuthTokenVerifier` shape.
 *
 * Checks, in order: the compact JWT shape; `typ` is `at+jwt` (or `application/at+jwt`); `alg`
 * is on the allowlist (never `none`, never `HS*`); the signature, with the key named by `kid`;
 * `iss` equals the issuer exactly; `aud` names this resource (MCP-RS-04, RFC 8707); `exp` is
 * present and not past; `nbf` and `iat` are not in the future (each with the clock skew); the
 * RFC 9068 claims `sub`, `client_id` and `jti` are present; the required scopes are granted.
 *
 * @module
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { InvalidOptionError } from '../../errors.js';
import { InsufficientScopeError, InvalidTokenError, isOAuthError } from '../oauth-errors.js';
import { ASYMMETRIC_JWS_ALGORITHMS } from '../tokens/signing-algorithms.js';
import type { AuthInfo, TokenVerifier } from './auth-info.js';
import { parseHttpsUrl } from './https-url.js';
import { tokenErrorFrom } from './token-errors.js';

/** The algorithms accepted by default. */
export const DEFAULT_ACCESS_TOKEN_ALGORITHMS: readonly string[] = Object.freeze([
  'ES256',
  'RS256',
  'PS256',
  'EdDSA',
]);

/** The default tolerated clock difference: 30 s, in ms. */
export const DEFAULT_VERIFIER_CLOCK_SKEW_MS = 30_000;

/** The longest token accepted, in characters; longer input is refused before any parsing. */
export const MAX_ACCESS_TOKEN_LENGTH = 16_384;

/** Options of {@link createAccessTokenVerifier}. */
export interface AccessTokenVerifierOptions {
  /** The authorization server's issuer identifier; `iss` must equal it exactly. */
  issuer: string;
  /**
   * The resource identifier(s) this server is (its canonical MCP URL): `aud` must contain one.
   * The first one in `aud` order that matches is reported as `AuthInfo.resource`.
   */
  audience: string | readonly string[];
  /**
   * The authorization server's public keys: a JWK Set object; the URL of its `/jwks` (fetched and
   * cached by jose's remote key set, re-fetched on an unknown `kid`; `https`, or `http` on a
   * loopback host: it must be the authorization server's own, trusted URL, never one taken from
   * a request or a token); or a jose key resolver function.
   */
  jwks: JSONWebKeySet | URL | string | JWTVerifyGetKey;
  /** Scopes every token must carry; a token without them gets `insufficient_scope` (403). Default none. */
  requiredScopes?: readonly string[];
  /** Tolerated clock difference for `exp`, `nbf` and `iat`, in ms. Default 30 000. */
  clockSkewMs?: number;
  /** Accepted signature algorithms. Default `['ES256', 'RS256', 'PS256', 'EdDSA']`. Asymmetric only. */
  algorithms?: readonly string[];
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** The verifier; see {@link createAccessTokenVerifier}. */
export interface AccessTokenVerifier extends TokenVerifier {
  /** The scopes every token must carry (for the `scope` of challenges). */
  readonly requiredScopes: readonly string[];
  /**
   * Verifies `token`.
   *
   * @throws InvalidTokenError (401) when the token is invalid for any reason.
   * @throws InsufficientScopeError (403) when it lacks a required scope.
   * @throws TemporarilyUnavailableError (503) when the authorization server's keys cannot be loaded.
   */
  verifyAccessToken(token: string): Promise<AuthInfo>;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function keyResolver(jwks: AccessTokenVerifierOptions['jwks']): JWTVerifyGetKey {
  if (typeof jwks === 'function') return jwks;
  if (typeof jwks === 'string' || jwks instanceof URL) {
    return createRemoteJWKSet(parseHttpsUrl(jwks, 'jwks'));
  }
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys)) {
    throw new InvalidOptionError('jwks must be a JWK Set object, the URL of one, or a key resolver function');
  }
  try {
    return createLocalJWKSet(jwks);
  } catch (cause) {
    throw new InvalidOptionError(`jwks is not a usable JWK Set (${(cause as Error).message})`);
  }
}

function stringList(value: string | readonly string[], name: string): string[] {
  const list = typeof value === 'string' ? [value] : [...value];
  if (list.length === 0 || list.some((item) => typeof item !== 'string' || item === '')) {
    throw new InvalidOptionError(`${name} must be a non-empty string or a non-empty array of them`);
  }
  return list;
}

function toUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function grantedScopes(payload: JWTPayload): string[] {
  const { scope } = payload;
  if (scope === undefined) return [];
  if (typeof scope !== 'string')
    throw new InvalidTokenError('the access token "scope" claim must be a string');
  return scope.split(' ').filter((value) => value !== '');
}

function requireString(payload: JWTPayload, claim: string): string {
  const value = payload[claim];
  if (typeof value !== 'string' || value === '') {
    throw new InvalidTokenError(`the access token "${claim}" claim must be a non-empty string`);
  }
  return value;
}

/**
 * Creates the access-token verifier for a resource server. Pass it to our `bearerAuth` /
 * `requireBearer` middleware, or (through `mcpSdkVerifier`) to the MCP SDK's `requireBearerAuth`.
 *
 * @throws InvalidOptionError when an option is invalid.
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  if (typeof options.issuer !== 'string' || options.issuer === '') {
    throw new InvalidOptionError('issuer must be the authorization server issuer identifier');
  }
  const issuer = options.issuer;
  const audiences = stringList(options.audience, 'audience');
  const algorithms = [...(options.algorithms ?? DEFAULT_ACCESS_TOKEN_ALGORITHMS)];
  if (algorithms.length === 0 || algorithms.some((alg) => !ASYMMETRIC_JWS_ALGORITHMS.has(alg))) {
    throw new InvalidOptionError(
      `algorithms must be a non-empty list of asymmetric JWS algorithms (${[...ASYMMETRIC_JWS_ALGORITHMS].join(', ')})`,
    );
  }
  const clockSkewMs = options.clockSkewMs ?? DEFAULT_VERIFIER_CLOCK_SKEW_MS;
  if (!Number.isSafeInteger(clockSkewMs) || clockSkewMs < 0) {
    throw new InvalidOptionError('clockSkewMs must be a non-negative integer of milliseconds');
  }
  const requiredScopes = Object.freeze([...new Set(options.requiredScopes ?? [])]);
  if (requiredScopes.some((scope) => typeof scope !== 'string' || scope === '' || scope.includes(' '))) {
    throw new InvalidOptionError('requiredScopes must be scope tokens (non-empty, without spaces)');
  }
  const now = options.now ?? Date.now;
  const getKey = keyResolver(options.jwks);

  async function verify(token: string): Promise<AuthInfo> {
    if (typeof token !== 'string' || token.length > MAX_ACCESS_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
      throw new InvalidTokenError('the access token is not a signed JWT');
    }
    const at = now();
    const { payload } = await jwtVerify(token, getKey, {
      issuer,
      audience: audiences,
      algorithms,
      typ: 'at+jwt',
      clockTolerance: clockSkewMs / 1000,
      currentDate: new Date(at),
      requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'jti'],
    });
    if (typeof payload.iat !== 'number' || payload.iat * 1000 > at + clockSkewMs) {
      throw new InvalidTokenError('the access token was issued in the future');
    }
    const exp = payload.exp as number;
    const clientId = requireString(payload, 'client_id');
    const subject = requireString(payload, 'sub');
    const jti = requireString(payload, 'jti');
    const scopes = grantedScopes(payload);
    const missing = requiredScopes.filter((scope) => !scopes.includes(scope));
    if (missing.length > 0) {
      throw new InsufficientScopeError(`the access token lacks the required scope(s): ${missing.join(' ')}`);
    }
    const aud = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
    const matched = aud.find((value) => audiences.includes(value));
    const resource = matched === undefined ? undefined : toUrl(matched);
    const extra: Record<string, unknown> = { subject, issuer, jti, claims: payload };
    if (typeof payload.auth_time === 'number') extra.authTime = payload.auth_time;
    const info: AuthInfo = { token, clientId, scopes, expiresAt: exp, extra };
    if (resource !== undefined) info.resource = resource;
    return info;
  }

  return {
    requiredScopes,
    async verifyAccessToken(token) {
      try {
        return await verify(token);
      } catch (error) {
        throw isOAuthError(error) ? error : tokenErrorFrom(error);
      }
    },
  };
}
