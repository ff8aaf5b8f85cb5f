/**
 * Maps what jose throws while verifying an access token to the OAuth error the resource server
 * answers with. Descriptions are safe to send: they say which rule failed, never the token's
 * values or key material.
 *
 * @module
 */
import { errors } from 'jose';
import { InvalidTokenError, type OAuthError, TemporarilyUnavailableError } from '../oauth-errors.js';

const CLAIM_FAILURES: Readonly<Record<string, string>> = {
  iss: 'the access token was not issued by the expected authorization server',
  aud: 'the access token was not issued for this resource',
  typ: 'the token is not a JWT access token (its "typ" header must be "at+jwt")',
  nbf: 'the access token is not valid yet',
  iat: 'the access token was issued in the future',
};

const JOSE_FAILURES: Readonly<Record<string, string>> = {
  ERR_JWT_EXPIRED: 'the access token has expired',
  ERR_JOSE_ALG_NOT_ALLOWED: 'the access token is signed with an algorithm this server does not accept',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'the access token signature is invalid',
  ERR_JWKS_NO_MATCHING_KEY: 'the access token is signed with an unknown key',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'the access token does not identify its signing key',
  ERR_JWS_INVALID: 'the access token is malformed',
  ERR_JWT_INVALID: 'the access token is malformed',
  ERR_JOSE_NOT_SUPPORTED: 'the access token uses an unsupported algorithm or key',
  ERR_JWK_INVALID: 'the access token is signed with an unusable key',
};

/**
 * Key-set problems on the authorization server's side, not the client's fault: a timeout, an invalid
 * set, and (the generic code, thrown only by the remote set) a non-200 or non-JSON response.
 */
const KEY_SET_FAILURES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

/**
 * The OAuth error for a failed verification: `invalid_token` (401) for anything wrong with the
 * token, `temporarily_unavailable` (503) when the authorization server's keys could not be loaded.
 */
export function tokenErrorFrom(error: unknown): OAuthError {
  if (error instanceof errors.JWTClaimValidationFailed && !(error instanceof errors.JWTExpired)) {
    if (error.reason === 'missing') {
      return new InvalidTokenError(`the access token has no "${error.claim}" claim`, { cause: error });
    }
    return new InvalidTokenError(CLAIM_FAILURES[error.claim] ?? 'the access token claims are invalid', {
      cause: error,
    });
  }
  if (error instanceof errors.JOSEError) {
    if (KEY_SET_FAILURES.has(error.code)) {
      return new TemporarilyUnavailableError(
        "the authorization server's signing keys could not be loaded; try again later",
        { cause: error },
      );
    }
    return new InvalidTokenError(JOSE_FAILURES[error.code] ?? 'the access token is invalid', {
      cause: error,
    });
  }
  return new TemporarilyUnavailableError(
    "the authorization server's signing keys could not be loaded; try again later",
    { cause: error },
  );
}
