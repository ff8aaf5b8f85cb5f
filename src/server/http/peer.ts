/**
 * The TCP peer address of a request: who is really on the other end of the connection, as the
 * HTTP server saw it (never a header). The authorization server records it for each request it is
 * handed by a Node HTTP server (`@hono/node-server`, or `serve`'s listener: the connection is in
 * the handler's second argument), and authenticators read it with {@link peerAddressOf}.
 *
 * @module
 */
import { isLoopbackHostname } from './loopback.js';
import { createRequestSlot } from './request-slot.js';

const peers = createRequestSlot<Request, string>('cimd.peerAddress');

/**
 * The peer address a Node adapter's `env` carries: `env.incoming.socket.remoteAddress`
 * (`@hono/node-server`), or `env.peerAddress` (the connection `cimd serve`'s listener hands over).
 */
export function peerAddressFromEnv(env: unknown): string | undefined {
  const shaped = env as
    | { incoming?: { socket?: { remoteAddress?: unknown } }; peerAddress?: unknown }
    | undefined;
  const address = shaped?.incoming?.socket?.remoteAddress ?? shaped?.peerAddress;
  return typeof address === 'string' && address !== '' ? address : undefined;
}

/**
 * The client's address an adapter's `env` carries: `env.clientAddress` (what `cimd serve`'s
 * listener hands over: the peer's, or with `--trust-proxy` the one the reverse proxy in front
 * reports), else the TCP peer's ({@link peerAddressFromEnv}). `undefined` for a request made in
 * process.
 */
export function clientAddressFromEnv(env: unknown): string | undefined {
  const address = (env as { clientAddress?: unknown } | undefined)?.clientAddress;
  return typeof address === 'string' && address !== '' ? address : peerAddressFromEnv(env);
}

/** Records `address` as the peer of `request`. */
export function rememberPeerAddress(request: Request, address: string): void {
  peers.set(request, address);
}

/**
 * The TCP peer address of `request`, when the server was handed the connection; `undefined` for a
 * request made in process (`server.fetch(new Request(...))`: the caller is this process).
 */
export function peerAddressOf(request: Request): string | undefined {
  return peers.get(request);
}

/** True for a loopback peer address: 127.0.0.0/8, `::1`, and their IPv4-mapped IPv6 forms. */
export function isLoopbackAddress(address: string): boolean {
  const plain = address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  return plain !== 'localhost' && !plain.endsWith('.localhost') && isLoopbackHostname(plain);
}
