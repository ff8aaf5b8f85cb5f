/**
 * JWT access tokens (RFC 9068) signed with the server's current key: header `typ: at+jwt`,
 * `alg`, `kid`; claims `iss`, `sub`, `aud` (the resource, RES-03), `client_id`, `scope`, `iat`,
 * `exp`, a CSPRNG `jti` and optionally `auth_time`. No `cnf`: tokens are plain bearer tokens.
 *
 * @module
 */
import { type JWTPayload, SignJWT } from 'jose';
import { InvalidOptionError } from '../../errors.js';
import { signCompactEcdsa } from '../ecdsa-jws.js';
import { randomToken } from '../random-token.js';
import type { SigningKey } from './signing-keys.js';

/**
 * The default access-token lifetime: 10 minutes, in ms. MCP asks for short-lived tokens
 * (MCP-AS-13); clients refresh when it ends.
 */
export const DEFAULT_ACCESS_TOKEN_LIFETIME_MS = 10 * 60 * 1000;

/** Claims {@link issueAccessToken} sets itself; `claims` may not name them. */
export const RESERVED_ACCESS_TOKEN_CLAIMS: readonly string[] = Object.freeze([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'client_id',
  'scope',
  'auth_time',
  'cnf',
]);

/** Where the signing key comes from: a `SigningKeyManager`, or anything with the same two members. */
export interface AccessTokenSigner {
  signingKey(): Promise<SigningKey>;
  /** The longest lifetime the signer's keys are kept for, in ms; longer tokens are refused. */
  readonly tokenLifetimeMs?: number;
}

/** Options of {@link issueAccessToken}. */
export interface IssueAccessTokenOptions {
  /** The authorization server's issuer identifier (`iss`). */
  issuer: string;
  /** The user the token acts for (`sub`). */
  subject: string;
  /** The client the token was issued to (`client_id`). */
  clientId: string;
  /** The resource URI(s) the token is for (`aud`, RES-03): a string for one, an array for several. */
  audience: string | readonly string[];
  /** The granted scopes, as an array or a space-separated string; omitted from the token when empty. */
  scope?: string | readonly string[];
  /**
   * The token lifetime, in ms (whole seconds are used). Default 10 minutes. At most the signer's
   * `tokenLifetimeMs` (1 hour by default).
   */
  lifetimeMs?: number;
  /** When the user authenticated, epoch ms (`auth_time`, in seconds). */
  authTime?: number;
  /** More claims to add; they may not name a {@link RESERVED_ACCESS_TOKEN_CLAIMS} claim. */
  claims?: Record<string, unknown>;
  /** The key the token is bound to (`cnf`, RFC 7800): `{ jkt }` for DPoP (RFC 9449 §6.1). */
  confirmation?: { jkt: string };
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** An issued token. */
export interface IssuedAccessToken {
  /** The compact JWT. */
  token: string;
  /** `exp`, epoch seconds. */
  expiresAt: number;
  /** The token's `jti`. */
  jti: string;
}

function nonEmpty(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '')
    throw new InvalidOptionError(`${name} must be a non-empty string`);
  return value;
}

function audienceClaim(audience: string | readonly string[]): string | string[] {
  const list = typeof audience === 'string' ? [audience] : [...audience];
  if (list.length === 0) throw new InvalidOptionError('audience must name at least one resource');
  for (const value of list) nonEmpty(value, 'audience');
  const unique = [...new Set(list)];
  return unique.length === 1 ? (unique[0] as string) : unique;
}

function scopeClaim(scope: string | readonly string[] | undefined): string | undefined {
  if (scope === undefined) return undefined;
  const list = typeof scope === 'string' ? scope.split(' ') : [...scope];
  const unique = [...new Set(list.filter((value) => value !== ''))];
  for (const value of unique) {
    if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(value)) {
      throw new InvalidOptionError(
        `scope ${JSON.stringify(value)} is not a valid scope token (RFC 6749 §3.3)`,
      );
    }
  }
  return unique.length === 0 ? undefined : unique.join(' ');
}

/** 128 bits from the CSPRNG, base64url. */
function randomJti(): string {
  return randomToken(16);
}

/**
 * Issues an RFC 9068 JWT access token signed with `signer`'s current key.
 *
 * @throws InvalidOptionError when an option is missing or out of range, or `claims` names a
 *   reserved claim.
 */
export async function issueAccessToken(
  signer: AccessTokenSigner,
  options: IssueAccessTokenOptions,
): Promise<IssuedAccessToken> {
  const issuer = nonEmpty(options.issuer, 'issuer');
  const subject = nonEmpty(options.subject, 'subject');
  const clientId = nonEmpty(options.clientId, 'clientId');
  const aud = audienceClaim(options.audience);
  const scope = scopeClaim(options.scope);
  const lifetimeMs = options.lifetimeMs ?? DEFAULT_ACCESS_TOKEN_LIFETIME_MS;
  const maxLifetimeMs = signer.tokenLifetimeMs ?? Number.POSITIVE_INFINITY;
  if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs < 1000 || lifetimeMs > maxLifetimeMs) {
    throw new InvalidOptionError(
      `lifetimeMs must be an integer of milliseconds from 1000 to the signing keys' tokenLifetimeMs (${maxLifetimeMs})`,
    );
  }
  const claims = options.claims ?? {};
  const reserved = Object.keys(claims).find((name) => RESERVED_ACCESS_TOKEN_CLAIMS.includes(name));
  if (reserved !== undefined) {
    throw new InvalidOptionError(
      `claims may not set "${reserved}": issueAccessToken sets it from its options`,
    );
  }

  const iat = Math.floor((options.now ?? Date.now)() / 1000);
  const exp = iat + Math.floor(lifetimeMs / 1000);
  const jti = randomJti();
  // The registered claims in a literal, then the extra ones added: an object literal that starts
  // with a spread leaves V8 a slow (dictionary) object here, and JSON.stringify then took about
  // 7 µs instead of 1 (none of the extra claims can name a registered one, checked above).
  const payload: JWTPayload = {
    iss: issuer,
    sub: subject,
    aud,
    client_id: clientId,
    iat,
    exp,
    jti,
  };
  Object.assign(payload, claims);
  if (scope !== undefined) payload.scope = scope;
  if (options.confirmation !== undefined)
    payload.cnf = { jkt: nonEmpty(options.confirmation.jkt, 'confirmation.jkt') };
  if (options.authTime !== undefined) {
    if (!Number.isFinite(options.authTime))
      throw new InvalidOptionError('authTime must be epoch milliseconds');
    payload.auth_time = Math.floor(options.authTime / 1000);
  }

  const { kid, alg, key } = await signer.signingKey();
  const header = { alg, kid, typ: 'at+jwt' };
  const token =
    signCompactEcdsa(alg, key, header, payload) ??
    (await new SignJWT(payload).setProtectedHeader(header).sign(key));
  return { token, expiresAt: exp, jti };
}
