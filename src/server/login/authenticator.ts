/**
 * The sign-in seam of the authorization server. The server asks an {@link Authenticator} who the
 * user of a browser request is; it answers with the user, or with a response of its own (a login
 * form, a redirect to an upstream identity provider) that later brings the browser back to
 * `returnTo`. The server always issues its own tokens: an upstream provider's tokens are never
 * passed through to clients.
 *
 * An authenticator that signs users in at a third party (an upstream identity provider, which
 * sees one static client: this server) sets {@link Authenticator.consentBeforeSignIn}: the server
 * then shows its own consent page for the MCP client BEFORE it lets the authenticator send the
 * browser upstream (MCP-AS-23, the confused-deputy rule), and finishes the authorization when the
 * browser comes back.
 *
 * @module
 */
import type { Hono } from 'hono';

/** The signed-in user. */
export interface AuthenticatedUser {
  /** A stable subject identifier: becomes the access token's `sub`. */
  userId: string;
  /** When the user last authenticated, epoch ms. */
  authTime: number;
  /** A display name for the consent page. */
  name?: string;
  /** An e-mail address, when the authenticator knows one (shown, never used as the subject). */
  email?: string;
  /**
   * An opaque reference to what the authenticator keeps about this sign-in (a browser session,
   * upstream tokens). The server hands it back in {@link Authenticator.grantIssued}.
   */
  sessionId?: string;
}

/** What the server tells the authenticator about the request. */
export interface AuthenticationContext {
  /** Where to send the browser once the user has signed in (an URL on this server). */
  returnTo: string;
  /** The `prompt` parameter of the authorization request (`none`, `login`, `consent`, …). */
  prompt?: string;
  /** The `login_hint` of the authorization request, when it had one. */
  loginHint?: string;
}

/** A grant the server created for a signed-in user (see {@link Authenticator.grantIssued}). */
export interface IssuedGrant {
  /** The grant id: access tokens carry it as `grant_id`; refresh tokens belong to it. */
  grantId: string;
  clientId: string;
  userId: string;
  /** The {@link AuthenticatedUser.sessionId} of the user who approved, when there was one. */
  sessionId?: string;
  /** Epoch ms after which nothing of the grant is accepted any more (its refresh tokens' lifetime). */
  expiresAt: number;
}

/** Signs users in. */
export interface Authenticator {
  /** A short name for logs, e.g. `dev-login`, `github`. */
  readonly name: string;
  /**
   * The sign-in happens at a third party (an upstream identity provider): the server asks for
   * its own consent first, then lets {@link authenticate} redirect. Default `false`.
   */
  readonly consentBeforeSignIn?: boolean;
  /** How the consent page names where the user signs in next, e.g. `GitHub`. */
  readonly displayName?: string;
  /**
   * Identifies the user of `request`. Resolve a user when signed in; resolve a `Response` to
   * show instead (a login page, a redirect upstream). With `prompt=none` it must not show
   * anything: resolve `undefined` when nobody is signed in. With `prompt=login` it must not
   * resolve an earlier sign-in.
   */
  authenticate(
    request: Request,
    context: AuthenticationContext,
  ): Promise<AuthenticatedUser | Response | undefined>;
  /** Mounts routes the authenticator needs (a login form's POST, an upstream callback, `/logout`). */
  routes?(app: Hono): void;
  /** Called once a code is issued: bind what the sign-in left (upstream tokens) to the grant. */
  grantIssued?(grant: IssuedGrant): Promise<void>;
  /** Called when a grant ends (revoked, replayed, or its refresh token revoked): drop what was bound to it. */
  grantRevoked?(grantId: string): Promise<void>;
  /** Releases timers and connections. */
  close?(): Promise<void>;
}

/**
 * The query parameter an authenticator adds to `returnTo` when a sign-in after consent failed
 * (see {@link SignInFailureCode}); the server then answers the MCP client with the matching OAuth
 * error at its redirect URI, or shows a page for {@link SignInFailureCode} `user_not_allowed`.
 */
export const SIGN_IN_ERROR_PARAM = 'sign_in_error';

/**
 * Why a sign-in after consent failed:
 * - `access_denied`: the user cancelled or refused at the identity provider;
 * - `user_not_allowed`: the user signed in, but the allow-lists refuse them;
 * - `temporarily_unavailable`: the identity provider is down or did not answer in time;
 * - `server_error`: its answer could not be verified (wrong `state`, `iss` or `nonce`, a bad ID token).
 */
export type SignInFailureCode =
  | 'access_denied'
  | 'user_not_allowed'
  | 'temporarily_unavailable'
  | 'server_error';

/** Every {@link SignInFailureCode}. */
export const SIGN_IN_FAILURE_CODES: readonly SignInFailureCode[] = Object.freeze([
  'access_denied',
  'user_not_allowed',
  'temporarily_unavailable',
  'server_error',
]);

/** `returnTo` with the sign-in error `code` added. */
export function returnToWithError(returnTo: string, code: SignInFailureCode): string {
  const url = new URL(returnTo);
  url.searchParams.set(SIGN_IN_ERROR_PARAM, code);
  return url.href;
}
