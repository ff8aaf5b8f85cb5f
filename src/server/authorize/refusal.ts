/**
 * A refused authorization request, once the client and its redirect URI are validated: the OAuth
 * error sent back to the client by redirect, with a short reason code for the logs.
 *
 * @module
 */
import type { OAuthError } from '../oauth-errors.js';

/** An authorization request refused with `error`; answered by redirecting to the validated redirect URI. */
export class AuthorizationRefusal extends Error {
  /** A stable reason code for logs, e.g. `pkce_missing`. */
  readonly reason: string;
  /** The OAuth error sent to the client. */
  readonly oauth: OAuthError;

  constructor(reason: string, oauth: OAuthError) {
    super(oauth.message);
    this.name = 'AuthorizationRefusal';
    this.reason = reason;
    this.oauth = oauth;
  }
}

/** Throws an {@link AuthorizationRefusal} of `error` with the reason code `reason`. */
export function refuse(reason: string, error: OAuthError): never {
  throw new AuthorizationRefusal(reason, error);
}
