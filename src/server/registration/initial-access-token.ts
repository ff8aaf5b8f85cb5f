/**
 * Initial access tokens for Dynamic Client Registration (RFC 7591 §3): when the operator sets
 * some, `/register` requires `Authorization: Bearer <token>` naming one of them, and answers
 * `401 invalid_token` (RFC 6750 §3.1) otherwise. Tokens are kept as SHA-256 hashes and a
 * presented one is compared with every hash in time that does not depend on where they differ.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import { sha256Base64url, timingSafeEqualStrings } from '../crypto.js';
import { noStoreJson } from '../http/responses.js';

/** The shortest initial access token accepted, in characters: shorter ones could be guessed. */
export const MIN_INITIAL_ACCESS_TOKEN_LENGTH = 16;

/** The characters of an RFC 6750 `b64token`. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Checks the operator's tokens: at least one, each a `b64token` of 16 characters or more. */
export function checkInitialAccessTokens(tokens: readonly string[]): readonly string[] {
  if (!Array.isArray(tokens) || tokens.length === 0) {
    throw new InvalidOptionError('registration.initialAccessTokens must list at least one token');
  }
  tokens.forEach((token, index) => {
    if (typeof token !== 'string' || !B64TOKEN.test(token)) {
      throw new InvalidOptionError(
        `initial access token ${index + 1} is not a bearer token (letters, digits and -._~+/ only, RFC 6750)`,
      );
    }
    if (token.length < MIN_INITIAL_ACCESS_TOKEN_LENGTH) {
      throw new InvalidOptionError(
        `initial access token ${index + 1} is shorter than ${MIN_INITIAL_ACCESS_TOKEN_LENGTH} characters: use a random one (openssl rand -base64 32)`,
      );
    }
  });
  return tokens;
}

/** Checks a request's `Authorization` against the tokens; answers the 401 when it does not match. */
export type InitialAccessTokenCheck = (request: Request) => Promise<Response | undefined>;

function unauthorized(description: string, challenge: string): Response {
  return noStoreJson({ error: 'invalid_token', error_description: description }, 401, {
    'www-authenticate': challenge,
  });
}

/** The check of `tokens` (already validated with {@link checkInitialAccessTokens}). */
export function createInitialAccessTokenCheck(tokens: readonly string[]): InitialAccessTokenCheck {
  const hashes = Promise.all(tokens.map((token) => sha256Base64url(token)));
  return async (request) => {
    const header = request.headers.get('authorization') ?? '';
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
    if (match?.[1] === undefined) {
      return unauthorized(
        'this server requires an initial access token to register a client: send Authorization: Bearer <token>',
        header === '' ? 'Bearer' : 'Bearer error="invalid_token"',
      );
    }
    const presented = await sha256Base64url(match[1]);
    let matched = false;
    for (const hash of await hashes) matched = timingSafeEqualStrings(presented, hash) || matched;
    if (matched) return undefined;
    return unauthorized('the initial access token is not valid', 'Bearer error="invalid_token"');
  };
}
