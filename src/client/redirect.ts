/**
 * The loopback redirect URI of a sign-in: which of the document's redirect URIs the client
 * listens on, the runtime URI with the listener's port, and the check that the document allows
 * it (with the same matcher the authorization server uses) BEFORE any browser opens.
 *
 * RFC 8252 §7.3 / §8.3 (RURI-10): loopback only, any port, and the IP literal is preferred over
 * `localhost` (which may resolve elsewhere).
 *
 * @module
 */
import { isLoopbackRedirectUri, matchRedirectUri } from '../document/redirect-uri.js';
import { splitUri } from '../document/uri-parts.js';
import { SignInError } from './errors.js';

/** The loopback hosts in order of preference: IP literals first (RURI-10). */
const HOST_PREFERENCE = ['127.0.0.1', '[::1]', 'localhost'] as const;

/** A loopback host the client can listen on. */
export type LoopbackHost = (typeof HOST_PREFERENCE)[number];

/** The redirect URI chosen from the document and how to listen for it. */
export interface LoopbackRedirect {
  /** The document's entry that was chosen, exactly as written. */
  readonly registered: string;
  /** Its host, as written in the URI (`[::1]` keeps its brackets). */
  readonly host: LoopbackHost;
  /** The path the callback arrives on (`/` when the URI has none). */
  readonly path: string;
  /** The runtime redirect URI on `port`: the registered one with its port replaced. */
  uriFor(port: number): string;
}

/**
 * Chooses the loopback redirect URI to listen on: the first `http://127.0.0.1…` entry, else the
 * first `http://[::1]…`, else the first `http://localhost…` (including FastMCP's
 * `http://localhost:*` form).
 *
 * @throws SignInError `ERR_SIGNIN_REDIRECT_URI` when the document registers no loopback URI.
 */
export function chooseLoopbackRedirect(redirectUris: readonly string[]): LoopbackRedirect {
  for (const host of HOST_PREFERENCE) {
    for (const registered of redirectUris) {
      if (!isLoopbackRedirectUri(registered)) continue;
      const parts = splitUri(registered);
      if (parts.host !== host) continue;
      const query = parts.query === undefined ? '' : `?${parts.query}`;
      return {
        registered,
        host,
        path: parts.path === '' ? '/' : parts.path,
        uriFor: (port) => `http://${host}:${port}${parts.path}${query}`,
      };
    }
  }
  throw new SignInError(
    'ERR_SIGNIN_REDIRECT_URI',
    `the client's redirect URIs (${redirectUris.join(', ')}) have no loopback URI to receive the sign-in on; add one such as http://127.0.0.1/callback to the document (cimd create -r http://127.0.0.1/callback).`,
  );
}

/**
 * Checks that the runtime redirect URI is one the registered URIs allow, with the shared matcher
 * (exact, loopback on any port).
 *
 * @throws SignInError `ERR_SIGNIN_REDIRECT_URI` with the matcher's reason when it is not.
 */
export function assertRedirectAllowed(runtime: string, redirectUris: readonly string[]): void {
  const match = matchRedirectUri(runtime, redirectUris);
  if (!match.ok) {
    throw new SignInError(
      'ERR_SIGNIN_REDIRECT_URI',
      `the sign-in would use the redirect URI ${runtime}, which the client's document does not allow: ${match.reason}. Fix the document's redirect_uris; the sign-in was not started.`,
    );
  }
}
