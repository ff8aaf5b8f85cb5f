/**
 * The development login: one local user, no password, for a server on loopback only. It lets
 * `npm start` and local testing work with no identity provider. It judges each request by the
 * connection's real peer address (never the `Host` header, which any caller can set): a request
 * from another machine gets a page that says so (403), never the local user.
 * {@link createAuthorizationServer} refuses to start with it unless the issuer itself is on
 * loopback, and `cimd serve` refuses it on a listener beyond loopback.
 *
 * A request made in process (`server.fetch(new Request(...))`, with no connection) comes from
 * this process itself and is signed in.
 *
 * @module
 */
import { isLoopbackAddress, peerAddressOf } from '../http/peer.js';
import { renderErrorPage } from '../ui/error-page.js';
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

/** The development login: every request from this machine is the one local user. */
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
    async authenticate(request, context) {
      const peer = peerAddressOf(request);
      if (peer !== undefined && !isLoopbackAddress(peer)) {
        if (context.prompt?.split(' ').includes('none')) return undefined;
        return renderErrorPage({
          error: 'access_denied',
          description:
            'This server signs people in with its development login, which only works on the machine it runs on. Sign in from that machine, or ask the operator to configure an identity provider.',
          status: 403,
        });
      }
      return { ...user };
    },
  };
}
