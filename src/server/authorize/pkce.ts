/**
 * PKCE on the authorization request (RFC 7636, OAuth 2.1 §4.1.1): required for every client,
 * S256 only. A missing `code_challenge_method` means `plain`, which this server does not support.
 *
 * @module
 */
import { S256_CHALLENGE_PATTERN } from '../crypto.js';
import type { OAuthParams } from '../http/params.js';
import { InvalidRequestError } from '../oauth-errors.js';
import { refuse } from './refusal.js';

/**
 * The S256 `code_challenge` of the request. Refuses (`invalid_request`) a missing challenge
 * (PKCE-AS-01), a missing method (which means `plain`) or any method but `S256` (PKCE-AS-02), and
 * a challenge that is not 43 base64url characters.
 */
export function readCodeChallenge(params: OAuthParams): string {
  const challenge = params.get('code_challenge');
  if (challenge === undefined) {
    refuse(
      'pkce_missing',
      new InvalidRequestError('PKCE is required: send code_challenge and code_challenge_method=S256'),
    );
  }
  const method = params.get('code_challenge_method');
  if (method === undefined) {
    refuse(
      'pkce_method_missing',
      new InvalidRequestError(
        'code_challenge_method is missing, which means plain; this server supports only S256',
      ),
    );
  }
  if (method !== 'S256') {
    refuse(
      'pkce_method_unsupported',
      new InvalidRequestError(
        'code_challenge_method must be S256; plain and other methods are not supported',
      ),
    );
  }
  if (!S256_CHALLENGE_PATTERN.test(challenge)) {
    refuse(
      'pkce_challenge_malformed',
      new InvalidRequestError(
        'code_challenge must be the 43-character base64url SHA-256 of the code verifier (RFC 7636 section 4.2)',
      ),
    );
  }
  return challenge;
}
