/**
 * The rules on a client assertion's `typ` header and claims (RFC 7523 §3, 7523bis, OIDC Core
 * §9): who issued it, for whom, and when. Pure functions of the decoded JWT and the clock; the
 * signature is checked elsewhere.
 *
 * @module
 */
import type { JWTPayload } from 'jose';
import { InvalidClientError } from '../oauth-errors.js';

/** Which `aud` values are accepted (PKJ-05). */
export type AssertionAudienceMode =
  /** The issuer identifier, or the token endpoint URL (RFC 7523), alone or in an array. */
  | 'issuer-or-token-endpoint'
  /** The issuer identifier as the sole value (draft-ietf-oauth-rfc7523bis): strict mode. */
  | 'issuer-only';

/** What the claims are checked against. */
export interface ClaimExpectations {
  /** The authenticated client's `client_id`: `iss` and `sub` must equal it. */
  clientId: string;
  /** The authorization server's issuer identifier. */
  issuer: string;
  /** The token endpoint URL, accepted as `aud` in `issuer-or-token-endpoint` mode when given. */
  tokenEndpoint?: string;
  /** Which `aud` values pass. */
  audience: AssertionAudienceMode;
  /** Now, epoch ms. */
  now: number;
  /** Tolerated clock difference, ms. */
  clockSkewMs: number;
  /** The longest assertion lifetime accepted, ms. */
  maxLifetimeMs: number;
}

/** What the claims establish. */
export interface CheckedClaims {
  jti: string;
  /** `exp`, epoch ms. */
  expiresAt: number;
  /** `iat`, epoch ms, when present. */
  issuedAt?: number;
}

/** The longest `jti` accepted, in characters: enough for any UUID or random id, bounded for the store. */
export const MAX_JTI_LENGTH = 256;

/** `typ` values accepted (compared case-insensitively, with or without `application/`). */
const ACCEPTED_TYPES = new Set(['jwt', 'client-authentication+jwt']);

/**
 * Checks the `typ` header (PKJ-13): absent, `JWT` or `client-authentication+jwt` pass; any other
 * explicit type (`at+jwt`, `dpop+jwt`, ...) names a different kind of token and is refused.
 *
 * @throws InvalidClientError
 */
export function checkAssertionType(typ: unknown): void {
  if (typ === undefined) return;
  if (typeof typ === 'string') {
    const lower = typ.toLowerCase();
    const bare = lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
    if (ACCEPTED_TYPES.has(bare)) return;
  }
  throw new InvalidClientError(
    'the client_assertion has a "typ" header of another kind of token; use "client-authentication+jwt" (or "JWT", or none)',
  );
}

function fail(description: string): never {
  throw new InvalidClientError(description);
}

function numericDate(payload: JWTPayload, name: 'exp' | 'nbf' | 'iat'): number | undefined {
  const value = payload[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    fail(`the client_assertion's "${name}" claim must be a NumericDate (seconds since the epoch)`);
  }
  return value * 1000;
}

function checkAudience(aud: unknown, expected: ClaimExpectations): void {
  const issuerOnly = expected.audience === 'issuer-only';
  const accepted = new Set([expected.issuer]);
  if (!issuerOnly && expected.tokenEndpoint !== undefined) accepted.add(expected.tokenEndpoint);
  const want = issuerOnly
    ? `the issuer identifier ${expected.issuer} as its only value`
    : `the issuer identifier ${expected.issuer}`;
  if (aud === undefined) fail(`the client_assertion has no "aud" claim; it must be ${want}`);
  const values: unknown[] = Array.isArray(aud) ? aud : [aud];
  if (values.length === 0 || values.some((value) => typeof value !== 'string')) {
    fail(`the client_assertion's "aud" claim must be a string: ${want}`);
  }
  if (issuerOnly) {
    if (values.length !== 1 || values[0] !== expected.issuer) {
      fail(`the client_assertion's "aud" claim must be ${want}`);
    }
    return;
  }
  if (!values.some((value) => accepted.has(value as string))) {
    fail(`the client_assertion's "aud" claim does not name this server; use ${want}`);
  }
}

function checkTimes(payload: JWTPayload, expected: ClaimExpectations): { exp: number; iat?: number } {
  const { now, clockSkewMs: skew, maxLifetimeMs } = expected;
  const exp = numericDate(payload, 'exp');
  if (exp === undefined) fail('the client_assertion has no "exp" claim; give it a short expiry');
  const nbf = numericDate(payload, 'nbf');
  const iat = numericDate(payload, 'iat');
  if (exp <= now - skew) fail('the client_assertion has expired; sign a new one for each request');
  if (nbf !== undefined && nbf > now + skew) {
    fail('the client_assertion is not valid yet ("nbf" is in the future); check the client clock');
  }
  if (iat !== undefined && iat > now + skew) {
    fail('the client_assertion was issued in the future ("iat"); check the client clock');
  }
  if (iat !== undefined && now - iat > maxLifetimeMs + skew) {
    fail(
      `the client_assertion is too old ("iat" more than ${Math.round(maxLifetimeMs / 1000)} s ago); sign a new one for each request`,
    );
  }
  if (exp - (iat ?? now) > maxLifetimeMs + skew) {
    fail(
      `the client_assertion lives too long ("exp" more than ${Math.round(maxLifetimeMs / 1000)} s after it was issued); use a short expiry`,
    );
  }
  return iat === undefined ? { exp } : { exp, iat };
}

/**
 * Checks a client assertion's claims: `iss` = `sub` = the client_id, by simple string
 * comparison (PKJ-03, PKJ-04); `aud` names this server per the audience mode (PKJ-05); `exp` is
 * present and not past, allowing `clockSkewMs` (PKJ-06); `nbf` (PKJ-07) and `iat` (PKJ-08) are
 * not in the future beyond the skew; `iat` is at most `maxLifetimeMs + clockSkewMs` old;
 * `exp - (iat ?? now)` is at most `maxLifetimeMs + clockSkewMs`; `jti` is a non-empty string of
 * at most {@link MAX_JTI_LENGTH} characters (PKJ-09).
 *
 * @throws InvalidClientError with a description that says which rule failed.
 */
export function checkAssertionClaims(payload: JWTPayload, expected: ClaimExpectations): CheckedClaims {
  if (payload.iss === undefined) fail('the client_assertion has no "iss" claim; it must be the client_id');
  if (payload.iss !== expected.clientId) fail('the client_assertion\'s "iss" claim must be the client_id');
  if (payload.sub === undefined) fail('the client_assertion has no "sub" claim; it must be the client_id');
  if (payload.sub !== expected.clientId) fail('the client_assertion\'s "sub" claim must be the client_id');
  checkAudience(payload.aud, expected);
  const { exp, iat } = checkTimes(payload, expected);
  const { jti } = payload;
  if (jti === undefined || jti === '') {
    fail('the client_assertion has no "jti" claim; give every assertion a unique random jti');
  }
  if (typeof jti !== 'string' || jti.length > MAX_JTI_LENGTH) {
    fail(`the client_assertion's "jti" claim must be a string of at most ${MAX_JTI_LENGTH} characters`);
  }
  return iat === undefined ? { jti, expiresAt: exp } : { jti, expiresAt: exp, issuedAt: iat };
}
