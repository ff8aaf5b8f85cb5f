/**
 * The token response (RFC 6749 §5.1): an RFC 9068 access token for the grant's audience, and a
 * refresh token when the client lists the `refresh_token` grant (DESIGN: no `offline_access`
 * needed). A refresh token is 256 random bits behind the time it was issued, and is stored only
 * under a key made of that time and its SHA-256 (see {@link refreshTokenKey}).
 *
 * @module
 */
import type { ServerContext } from '../authorization-server/context.js';
import { sha256Base64url } from '../crypto.js';
import { createRequestSlot } from '../http/request-slot.js';
import { noStoreJson } from '../http/responses.js';
import { randomToken } from '../random-token.js';
import { issueAccessToken } from '../tokens/access-token.js';

/** The private claim that names the grant an access token belongs to (used by `/revoke`). */
export const GRANT_ID_CLAIM = 'grant_id';

/** The body of a successful token response. */
export interface TokenResponseBody {
  access_token: string;
  /** `DPoP` when the access token is bound to a DPoP key (RFC 9449 §5.1), else `Bearer`. */
  token_type: 'Bearer' | 'DPoP';
  /** Seconds until the access token expires. */
  expires_in: number;
  /** The granted scope; left out when empty. */
  scope?: string;
  refresh_token?: string;
}

/** What an access token is issued for. */
export interface AccessTokenGrant {
  grantId: string;
  clientId: string;
  userId: string;
  /** The token's audience: the resource(s) (RES-03). */
  audience: readonly string[];
  /** Space-separated scope ('' for none). */
  scope: string;
  /** When the user authenticated, epoch ms. */
  authTime?: number;
  /** Claims about the user (`name`, `email`) to add (the server's `userClaims`). */
  userClaims?: Record<string, string>;
  /** The RFC 7638 thumbprint of the DPoP key the token is bound to (`cnf.jkt`, RFC 9449 §6). */
  dpopJkt?: string;
}

/** `{ userClaims }` from a code's or a refresh family's `extra`, or `{}` when it has none. */
export function withUserClaims(extra: Record<string, unknown> | undefined): {
  userClaims?: Record<string, string>;
} {
  const value = extra?.userClaims;
  if (typeof value !== 'object' || value === null) return {};
  const claims: Record<string, string> = {};
  for (const name of ['name', 'email']) {
    const member = (value as Record<string, unknown>)[name];
    if (typeof member === 'string') claims[name] = member;
  }
  return Object.keys(claims).length === 0 ? {} : { userClaims: claims };
}

/** The grant each response body was issued for (for the `token.issued` event), without touching the body. */
const issuedGrants = createRequestSlot<TokenResponseBody, AccessTokenGrant>('cimd.issuedGrant');

/** The grant `body` was issued for by {@link tokenResponseBody}. */
export function grantOfResponse(body: TokenResponseBody): AccessTokenGrant | undefined {
  return issuedGrants.get(body);
}

/** A new refresh token and the key it is stored under. */
export interface NewRefreshToken {
  token: string;
  /** {@link refreshTokenKey} of `token`. */
  hash: string;
}

/** How many hexadecimal digits of the issuing time (epoch milliseconds) lead a refresh token. */
const ISSUED_AT_DIGITS = 12;

/** A refresh token of this server: the issuing time in hex, then 32 random bytes in base64url. */
const TIMED_REFRESH_TOKEN = /^[0-9a-f]{12}[A-Za-z0-9_-]{43}$/;

/**
 * The key a refresh token is stored under: its leading issuing time followed by the base64url
 * SHA-256 of the whole token, or the SHA-256 alone for any other string (refresh tokens issued
 * before the time prefix, and junk, which matches nothing). The store never holds the token.
 *
 * Why the time: keys that grow with time land at the end of the store's index, where a random
 * hash would touch a random page of it on every rotation; on SQLite that page write was the
 * largest single cost of a refresh grant after the signatures (about 7% of its CPU,
 * docs/development.md). The time adds no secret and removes none: the 256 random bits are the
 * secret, and the hash covers the time as well.
 */
export async function refreshTokenKey(token: string): Promise<string> {
  const hash = await sha256Base64url(token);
  return TIMED_REFRESH_TOKEN.test(token) ? `${token.slice(0, ISSUED_AT_DIGITS)}${hash}` : hash;
}

/** A fresh refresh token issued at `nowMs` (epoch milliseconds) and its {@link refreshTokenKey}. */
export async function newRefreshToken(nowMs: number): Promise<NewRefreshToken> {
  const issuedAt = Math.max(0, Math.floor(nowMs)).toString(16).padStart(ISSUED_AT_DIGITS, '0');
  const token = `${issuedAt.slice(-ISSUED_AT_DIGITS)}${randomToken(32)}`;
  return { token, hash: await refreshTokenKey(token) };
}

/**
 * Issues the access token for `grant` and builds the response body, with `refreshToken` when
 * given. The access token lives `options.accessTokenLifetimeMs` and carries the grant id, so
 * revoking it at `/revoke` ends the grant's refresh tokens too.
 */
export async function tokenResponseBody(
  context: ServerContext,
  grant: AccessTokenGrant,
  refreshToken?: string,
): Promise<TokenResponseBody> {
  const issued = await issueAccessToken(context.signingKeys, {
    issuer: context.options.issuer,
    subject: grant.userId,
    clientId: grant.clientId,
    audience: grant.audience,
    scope: grant.scope,
    lifetimeMs: context.options.accessTokenLifetimeMs,
    ...(grant.authTime === undefined ? {} : { authTime: grant.authTime }),
    claims: { ...grant.userClaims, [GRANT_ID_CLAIM]: grant.grantId },
    ...(grant.dpopJkt === undefined ? {} : { confirmation: { jkt: grant.dpopJkt } }),
    now: context.now,
  });
  const body: TokenResponseBody = {
    access_token: issued.token,
    token_type: grant.dpopJkt === undefined ? 'Bearer' : 'DPoP',
    expires_in: Math.max(0, issued.expiresAt - Math.floor(context.now() / 1000)),
  };
  if (grant.scope !== '') body.scope = grant.scope;
  if (refreshToken !== undefined) body.refresh_token = refreshToken;
  issuedGrants.set(body, grant);
  return body;
}

/** The HTTP response for `body`: 200 JSON with `Cache-Control: no-store` and `Pragma: no-cache`. */
export function tokenResponse(body: TokenResponseBody): Response {
  return noStoreJson(body);
}
