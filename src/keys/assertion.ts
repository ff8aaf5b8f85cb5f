/**
 * Client assertions for `private_key_jwt` (RFC 7523 §2.2, draft-ietf-oauth-rfc7523bis): a JWT
 * signed with the key set's current key, typed `client-authentication+jwt`, with `iss` = `sub` =
 * the client's `client_id`, `aud` = the authorization server's issuer (a string), a CSPRNG `jti`
 * and a short lifetime.
 *
 * @module
 */
import { importJWK, SignJWT } from 'jose';
import { InvalidOptionError } from '../errors.js';
import type { ClientKeyAlgorithm } from './algorithms.js';
import type { ClientKey } from './generate.js';
import { currentKey, type KeySet, type StoredKey } from './key-set.js';

/** The `typ` header of client assertions (PKJ-13). */
export const CLIENT_ASSERTION_TYPE = 'client-authentication+jwt';

/** The `client_assertion_type` form parameter value that goes with the assertion (PKJ-01). */
export const CLIENT_ASSERTION_TYPE_URN = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Default assertion lifetime: 60 000 ms. */
export const DEFAULT_ASSERTION_LIFETIME_MS = 60_000;

/** The longest assertion lifetime accepted: 300 000 ms (servers commonly refuse longer ones). */
export const MAX_ASSERTION_LIFETIME_MS = 300_000;

/** A key that can sign: a generated {@link ClientKey} or a key of a key set. */
export type SigningKey = Pick<ClientKey | StoredKey, 'kid' | 'alg' | 'privateJwk'>;

/** What every assertion names. */
export interface AssertionClaimsOptions {
  /** The client's `client_id` (its metadata document URL): `iss` and `sub`. */
  clientId: string;
  /** The authorization server's issuer identifier: `aud`, as a single string (PKJ-05). */
  audience: string;
  /**
   * The lifetime, in milliseconds, whole seconds from 1000 to 300 000. Default 60 000 (or the key
   * set's `maxAssertionLifetimeMs` when smaller); never more than the key set's setting.
   */
  lifetimeMs?: number;
  /** The signing time, as a Date or epoch milliseconds. Default now. */
  now?: Date | number;
}

/** Options of {@link signClientAssertion}: the claims and either a key set or one key. */
export type SignClientAssertionOptions = AssertionClaimsOptions &
  ({ keySet: KeySet; key?: never } | { key: SigningKey; keySet?: never });

function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidOptionError(`${name} must be a non-empty string; got ${JSON.stringify(value)}`);
  }
  return value;
}

function resolveLifetime(value: number | undefined, cap: number): number {
  const lifetime = value ?? Math.min(DEFAULT_ASSERTION_LIFETIME_MS, Math.floor(cap / 1000) * 1000);
  if (
    !Number.isSafeInteger(lifetime) ||
    lifetime < 1000 ||
    lifetime % 1000 !== 0 ||
    lifetime > MAX_ASSERTION_LIFETIME_MS
  ) {
    throw new InvalidOptionError(
      `lifetimeMs must be whole seconds in milliseconds, from 1000 to ${MAX_ASSERTION_LIFETIME_MS}; got ${String(value)}`,
    );
  }
  if (lifetime > cap) {
    throw new InvalidOptionError(
      `lifetimeMs ${lifetime} is longer than the key set's maxAssertionLifetimeMs ${cap}; the rotation grace period assumes no longer assertions`,
    );
  }
  return lifetime;
}

function epochMs(now: Date | number | undefined): number {
  const value = now === undefined ? Date.now() : typeof now === 'number' ? now : now.getTime();
  if (!Number.isFinite(value)) throw new InvalidOptionError('now must be a valid Date or epoch milliseconds');
  return value;
}

/** Signs one assertion with an imported key; the options are already checked. */
async function sign(
  key: { kid: string; alg: ClientKeyAlgorithm; cryptoKey: CryptoKey | Uint8Array },
  claims: { clientId: string; audience: string; lifetimeMs: number; now: number },
): Promise<string> {
  const issuedAt = Math.floor(claims.now / 1000);
  return new SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: CLIENT_ASSERTION_TYPE })
    .setIssuer(claims.clientId)
    .setSubject(claims.clientId)
    .setAudience(claims.audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + claims.lifetimeMs / 1000)
    .sign(key.cryptoKey);
}

/** Options of {@link createAssertionSigner}. */
export interface AssertionSignerOptions {
  /** The lifetime of each assertion, in ms; see {@link AssertionClaimsOptions.lifetimeMs}. Default 60 000. */
  lifetimeMs?: number;
  /** The clock, in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}

/** Signs client assertions with one key; see {@link createAssertionSigner}. */
export interface AssertionSigner {
  /** The `kid` of the signing key (the key set's current key when the signer was made). */
  readonly kid: string;
  /** The JWS algorithm. */
  readonly alg: ClientKeyAlgorithm;
  /** A new compact JWT for `clientId` and `audience` (a fresh `jti` each time). */
  sign(claims: { clientId: string; audience: string }): Promise<string>;
}

/**
 * A signer bound to the CURRENT key of `keySet` (imported once). After a promotion, make a new
 * signer from the updated key set.
 *
 * @throws InvalidOptionError for an invalid lifetime (checked here) or claims (checked per call).
 */
export async function createAssertionSigner(
  keySet: KeySet,
  options: AssertionSignerOptions = {},
): Promise<AssertionSigner> {
  const key = currentKey(keySet);
  const lifetimeMs = resolveLifetime(options.lifetimeMs, keySet.settings.maxAssertionLifetimeMs);
  const cryptoKey = await importJWK(key.privateJwk, key.alg);
  const clock = options.now ?? Date.now;
  return {
    kid: key.kid,
    alg: key.alg,
    sign: (claims) =>
      sign(
        { kid: key.kid, alg: key.alg, cryptoKey },
        {
          clientId: checkString('clientId', claims.clientId),
          audience: checkString('audience', claims.audience),
          lifetimeMs,
          now: epochMs(clock()),
        },
      ),
  };
}

/**
 * Signs one client assertion: header `{ alg, kid, typ: 'client-authentication+jwt' }`, claims
 * `iss` = `sub` = `clientId`, `aud` = `audience` (a string), `jti` (a random UUID from the
 * platform CSPRNG), `iat` = now and `exp` = `iat` + lifetime (60 s by default). With `keySet`, the
 * key set's current key signs. Send it as `client_assertion` with `client_assertion_type`
 * {@link CLIENT_ASSERTION_TYPE_URN}.
 *
 * @throws InvalidOptionError for a missing or empty `clientId` or `audience`, or an invalid lifetime.
 */
export async function signClientAssertion(options: SignClientAssertionOptions): Promise<string> {
  const clientId = checkString('clientId', options.clientId);
  const audience = checkString('audience', options.audience);
  const key: SigningKey = options.keySet !== undefined ? currentKey(options.keySet) : options.key;
  const cap = options.keySet?.settings.maxAssertionLifetimeMs ?? MAX_ASSERTION_LIFETIME_MS;
  const lifetimeMs = resolveLifetime(options.lifetimeMs, cap);
  const cryptoKey = await importJWK(key.privateJwk, key.alg);
  return sign(
    { kid: key.kid, alg: key.alg, cryptoKey },
    { clientId, audience, lifetimeMs, now: epochMs(options.now) },
  );
}
