/**
 * The stable codes of the client side's sign-in errors (part of `CimdErrorCode`).
 *
 * @module
 */

/** Every stable code a `SignInError` carries. */
export type SignInErrorCode =
  /** The document's redirect URIs have no loopback URI this client could listen on, or it does not allow the runtime one. */
  | 'ERR_SIGNIN_REDIRECT_URI'
  /** The client's document (or its options) cannot be used: wrong `client_id`, a secret method, no signer for `private_key_jwt`. */
  | 'ERR_SIGNIN_CLIENT_CONFIG'
  /** The authorization server cannot authenticate this client the way its document says (e.g. no `private_key_jwt`). */
  | 'ERR_SIGNIN_AUTH_METHOD'
  /** The authorization server does not support what a safe sign-in needs (PKCE S256, an https endpoint). */
  | 'ERR_SIGNIN_SERVER_UNSUPPORTED'
  /** The callback's `state` is missing or not the one sent (MCP-C-28); nothing was exchanged. */
  | 'ERR_SIGNIN_STATE_MISMATCH'
  /** The callback's `iss` is missing where required or names another server (RFC 9207, DISC-09). */
  | 'ERR_SIGNIN_ISSUER_MISMATCH'
  /** The protected resource metadata names another resource than the MCP server; no authorization request was made. */
  | 'ERR_SIGNIN_RESOURCE_MISMATCH'
  /** The authorization server answered the authorization request with an `error`. */
  | 'ERR_SIGNIN_DENIED'
  /** The callback carried no authorization code. */
  | 'ERR_SIGNIN_NO_CODE'
  /** Nobody completed the sign-in before the deadline. */
  | 'ERR_SIGNIN_TIMEOUT'
  /** The loopback listener could not be opened (port taken, no loopback interface). */
  | 'ERR_SIGNIN_LISTENER'
  /** The sign-in was cancelled (the provider was closed, or a newer sign-in replaced it). */
  | 'ERR_SIGNIN_CANCELLED'
  /** Anything else that stopped the sign-in (no sign-in pending, the SDK missing, a refused step-up). */
  | 'ERR_SIGNIN_FAILED';
