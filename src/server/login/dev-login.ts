/**
 * The development login: one local user, no password, for a server on loopback only. It lets
 * `npm start` and local testing work with no identity provider. It refuses every request whose
 * `Host` is not a loopback name, and {@link createAuthorizationServer} refuses to start with it
 * unless the issuer itself is on loopback.
 *
 * @module
 */
import { isLoopbackHostname } from '../http/loopback.js';
import type { AuthenticatedUser, Authenticator } from './authenticator.js';

/** Options of {@link devLogin}. */
export interface DevLoginOptions {
  /** The local user's subject, default `local-developer`. */
  userId?: string;
  /** The display name, default `Local developer`. */
  name?: string;
  /** Clock, epoch ms (default `Date.now`). */
  now?: () => number;
}

/** Thrown when the development login is used anywhere but on loopback. */
export class DevLoginNotOnLoopbackError extends Error {
  override name = 'DevLoginNotOnLoopbackError';
}

/** The development login: every request from loopback is the one local user. */
export function devLogin(options: DevLoginOptions = {}): Authenticator {
  const now = options.now ?? Date.now;
  const signedInAt = now();
  const user: AuthenticatedUser = {
    userId: options.userId ?? 'local-developer',
    name: options.name ?? 'Local developer',
    authTime: signedInAt,
  };
  return {
    name: 'dev-login',
    async authenticate(request) {
      const host = new URL(request.url).hostname;
      if (!isLoopbackHostname(host)) {
        throw new DevLoginNotOnLoopbackError(
          `the development login only works on loopback, and this request is for ${host}`,
        );
      }
      return { ...user };
    },
  };
}
