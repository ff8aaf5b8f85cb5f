/**
 * Judging an authorization response that arrived at the loopback callback (RFC 6749 §4.1.2,
 * RFC 9207, MCP-C-28, DISC-09): `state` first (a response that is not ours drives nothing),
 * then `iss`, then `error`, then `code`. Pure: no I/O, so each rule is testable on its own.
 *
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import { SignInError } from './errors.js';

/** What the callback must match. */
export interface CallbackExpectations {
  /** The `state` sent in the authorization request. */
  state: string;
  /**
   * The authorization server's issuer identifier (its metadata `issuer`). A present `iss` must
   * equal it exactly; undefined skips the comparison only when no `iss` arrives.
   */
  issuer?: string | undefined;
  /** True when the server advertises `authorization_response_iss_parameter_supported`: `iss` is then required. */
  issuerRequired?: boolean | undefined;
  /** Issuer spellings that also count as equal, e.g. the discovery URL with and without `/` when no metadata exists. */
  issuerAlternatives?: readonly string[] | undefined;
}

/** A successful authorization response. */
export interface AuthorizationResponse {
  /** The authorization code (single use; never logged). */
  code: string;
  /** The `state`, equal to the one sent. */
  state: string;
  /** The `iss`, when the server sent one (already checked). */
  iss?: string;
}

const MAX_SHOWN = 200;

/** Makes untrusted text from the callback safe to show: printable characters only, bounded. */
export function displayable(text: string): string {
  const printable = Array.from(text)
    .filter((char) => {
      const code = char.codePointAt(0) ?? 0;
      return code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code < 0xa0);
    })
    .join('');
  return printable.length > MAX_SHOWN ? `${printable.slice(0, MAX_SHOWN)}…` : printable;
}

/** The single value of `name`, or undefined when absent; a repeated parameter is an error. */
function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) {
    throw new SignInError(
      name === 'state' ? 'ERR_SIGNIN_STATE_MISMATCH' : 'ERR_SIGNIN_FAILED',
      `the sign-in callback repeats the ${name} parameter; it was discarded.`,
    );
  }
  return values[0];
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Checks the query of a callback and returns the code, or throws the reason it is refused.
 *
 * @throws SignInError `ERR_SIGNIN_STATE_MISMATCH`, `ERR_SIGNIN_ISSUER_MISMATCH`,
 *   `ERR_SIGNIN_DENIED` (an `error` response) or `ERR_SIGNIN_NO_CODE`.
 */
export function judgeCallback(
  params: URLSearchParams,
  expected: CallbackExpectations,
): AuthorizationResponse {
  const state = single(params, 'state');
  if (state === undefined || !sameSecret(state, expected.state)) {
    throw new SignInError(
      'ERR_SIGNIN_STATE_MISMATCH',
      state === undefined
        ? 'the sign-in callback has no state parameter, so it cannot be tied to this sign-in; it was discarded and no token was requested.'
        : 'the sign-in callback carries a state that this sign-in did not send (a forged or stale response); it was discarded and no token was requested.',
    );
  }
  const iss = single(params, 'iss');
  if (iss === undefined && expected.issuerRequired === true) {
    throw new SignInError(
      'ERR_SIGNIN_ISSUER_MISMATCH',
      'the authorization server says it returns iss (RFC 9207) but the callback has none; it was discarded and no token was requested.',
    );
  }
  if (iss !== undefined && expected.issuer !== undefined) {
    const accepted = [expected.issuer, ...(expected.issuerAlternatives ?? [])];
    if (!accepted.includes(iss)) {
      throw new SignInError(
        'ERR_SIGNIN_ISSUER_MISMATCH',
        `the sign-in callback names the issuer ${JSON.stringify(displayable(iss))}, not ${JSON.stringify(expected.issuer)} where the sign-in started (a mix-up attack, RFC 9207); it was discarded and no token was requested.`,
      );
    }
  }
  const error = single(params, 'error');
  if (error !== undefined) {
    const description = single(params, 'error_description');
    const detail = description === undefined ? '' : `: ${displayable(description)}`;
    throw new SignInError(
      'ERR_SIGNIN_DENIED',
      error === 'access_denied'
        ? `the sign-in was declined (access_denied${detail}).`
        : `the authorization server refused the sign-in with ${displayable(error)}${detail}.`,
    );
  }
  const code = single(params, 'code');
  if (code === undefined || code === '') {
    throw new SignInError('ERR_SIGNIN_NO_CODE', 'the sign-in callback carries no authorization code.');
  }
  return iss === undefined ? { code, state } : { code, state, iss };
}
