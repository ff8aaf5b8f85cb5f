/**
 * The checks of an authorization request that need no client: `response_type`, `response_mode`,
 * request objects, and the length of `state`. Each refusal is sent to the validated redirect URI.
 *
 * @module
 */
import type { OAuthParams } from '../http/params.js';
import { InvalidRequestError, UnsupportedResponseTypeError } from '../oauth-errors.js';
import { refuse } from './refusal.js';

/** The longest `state` echoed back, in characters; a longer one is refused and not echoed. */
export const MAX_STATE_LENGTH = 4096;

/**
 * The `state` to echo in the response: the parameter, or undefined when absent or longer than
 * {@link MAX_STATE_LENGTH} (see {@link checkState}).
 */
export function stateToEcho(params: OAuthParams): string | undefined {
  const state = params.get('state');
  return state !== undefined && state.length <= MAX_STATE_LENGTH ? state : undefined;
}

/** Refuses (`invalid_request`) a `state` longer than {@link MAX_STATE_LENGTH}. */
export function checkState(params: OAuthParams): void {
  const state = params.get('state');
  if (state !== undefined && state.length > MAX_STATE_LENGTH) {
    refuse('state_too_long', new InvalidRequestError(`state is longer than ${MAX_STATE_LENGTH} characters`));
  }
}

/**
 * `response_type` must be `code` (`invalid_request` when missing, `unsupported_response_type`
 * otherwise); `response_mode`, when sent, `query`; `request` and `request_uri` (JAR, PAR) are not
 * supported (`invalid_request`).
 */
export function checkResponseType(params: OAuthParams): void {
  const type = params.get('response_type');
  if (type === undefined) {
    refuse(
      'response_type_missing',
      new InvalidRequestError('the response_type parameter is missing; use code'),
    );
  }
  if (type !== 'code') {
    refuse(
      'response_type_unsupported',
      new UnsupportedResponseTypeError('only response_type=code is supported (OAuth 2.1)'),
    );
  }
  const mode = params.get('response_mode');
  if (mode !== undefined && mode !== 'query') {
    refuse('response_mode_unsupported', new InvalidRequestError('only response_mode=query is supported'));
  }
  if (params.has('request') || params.has('request_uri')) {
    refuse(
      'request_object_unsupported',
      new InvalidRequestError(
        'request objects are not supported (request_not_supported): send the parameters directly',
      ),
    );
  }
}
