/**
 * Serves a web-standard `fetch` handler on a Node HTTP or HTTPS server (through the server's
 * own Node listener, `mcp-cimd/server/node`), reports the address actually bound, and closes
 * gracefully: stop accepting, let requests in flight finish, then cut what is left.
 *
 * The handler also learns the client's address: the connection's peer, or, with `trustProxy`,
 * what the reverse proxy in front reports (see `forwarded.ts`), which then also gives the
 * request its original scheme and host.
 *
 * @module
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createNodeListener, type NodeBindings } from '../server/node/index.js';
import { originOf } from './config/origin.js';
import { originalUrl, readForwarded } from './forwarded.js';

/**
 * What the server knows about a request's connection. It is the `env` handed to the
 * authorization server's `fetch`, whose authenticators read `peerAddress` (see `peerAddressOf`).
 */
export interface RequestConnection {
  /** The client's address: the peer's, or the one a trusted proxy reports. Empty when unknown. */
  clientAddress: string;
  /** The TCP peer's address, whatever any header says. Empty when unknown. */
  peerAddress: string;
}

/** A web-standard request handler (Hono's `app.fetch` fits: it takes the connection as its env). */
export type FetchHandler = (request: Request, connection: RequestConnection) => Response | Promise<Response>;

/** Options of {@link listen}. */
export interface ListenOptions {
  /** The address to bind. */
  host: string;
  /** The port; 0 picks a free one. */
  port: number;
  /** PEM certificate and key: serve https. Default: plain http. */
  tls?: { cert: string | Buffer; key: string | Buffer } | undefined;
  /** The handler. Default: 503 until {@link Listener.setHandler} is called. */
  fetch?: FetchHandler;
  /**
   * Believe the reverse proxy in front (`Forwarded`, `X-Forwarded-For`, `-Proto`, `-Host`).
   * Default `false`: those headers are ignored.
   */
  trustProxy?: boolean;
  /** Told what a handler threw (the client gets a plain 500). Default: printed to stderr. */
  onError?: (error: unknown) => void;
}

/** A listening server. */
export interface Listener {
  /** `http(s)://host:port` of the bound address. */
  readonly origin: string;
  /** The bound port. */
  readonly port: number;
  /** Replaces the handler (the server can be bound before its application is built). */
  setHandler(fetch: FetchHandler): void;
  /**
   * Stops accepting connections, closes idle ones, waits up to `graceMs` (default 3000) for
   * requests in flight, then closes every connection left.
   */
  close(graceMs?: number): Promise<void>;
}

/** Thrown when the address cannot be bound (in use, not permitted, not on this machine). */
export class ListenError extends Error {
  override name = 'ListenError';
}

const notReady: FetchHandler = () =>
  new Response('starting', { status: 503, headers: { 'retry-after': '1' } });

function explain(error: NodeJS.ErrnoException, host: string, port: number): ListenError {
  const where = `${host}:${port}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return new ListenError(`cannot listen on ${where}: the port is in use; choose another one with --port`);
    case 'EACCES':
      return new ListenError(
        `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`,
      );
    case 'EADDRNOTAVAIL':
      return new ListenError(`cannot listen on ${where}: this machine has no such address (check --host)`);
    default:
      return new ListenError(`cannot listen on ${where}: ${error.message}`);
  }
}

/** Binds `host:port` and serves the handler. */
export async function listen(options: ListenOptions): Promise<Listener> {
  let handler = options.fetch ?? notReady;
  const trustProxy = options.trustProxy === true;
  const dispatch = (request: Request, env: NodeBindings) => {
    const peer = env.incoming.socket.remoteAddress ?? '';
    if (!trustProxy) return handler(request, { clientAddress: peer, peerAddress: peer });
    const forwarded = readForwarded(request.headers);
    return handler(request, {
      clientAddress: forwarded.clientAddress ?? peer,
      peerAddress: peer,
    });
  };
  const listener = createNodeListener(dispatch, {
    // Behind a trusted proxy the request is given the scheme and host the client used.
    ...(trustProxy
      ? { requestUrl: (url: string, request: Request) => originalUrl(url, readForwarded(request.headers)) }
      : {}),
    onError: options.onError ?? ((error) => console.error('unexpected error serving a request:', error)),
  });
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener)
    : createHttpServer(listener);
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(explain(error, options.host, options.port));
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    origin: originOf(options.host, port, options.tls !== undefined),
    port,
    setHandler(fetch) {
      handler = fetch;
    },
    close(graceMs = 3000) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
