/**
 * The sign-in seam of the authorization server. The server asks an {@link Authenticator} who the
 * user of a browser request is; it answers with the user, or with a response of its own (a login
 * form, a redirect to an upstream identity provider) that later brings the browser back to
 * `returnTo`. The server always issues its own tokens: an upstream provider's tokens are never
 * passed through to clients.
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
}

/** What the server tells the authenticator about the request. */
export interface AuthenticationContext {
  /** Where to send the browser once the user has signed in (an URL on this server). */
  returnTo: string;
  /** The `prompt` parameter of the authorization request (`none`, `login`, `consent`, …). */
  prompt?: string;
}

/** Signs users in. */
export interface Authenticator {
  /** A short name for logs, e.g. `dev-login`. */
  readonly name: string;
  /**
   * Identifies the user of `request`. Resolve a user when signed in; resolve a `Response` to
   * show instead (a login page, a redirect upstream). With `prompt=none` it must not show
   * anything: resolve `undefined` when nobody is signed in.
   */
  authenticate(
    request: Request,
    context: AuthenticationContext,
  ): Promise<AuthenticatedUser | Response | undefined>;
  /** Mounts routes the authenticator needs (a login form's POST, an upstream callback). */
  routes?(app: Hono): void;
}
