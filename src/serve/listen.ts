/**
 * Serves a web-standard `fetch` handler on a Node HTTP or HTTPS server (through
 * `@hono/node-server`'s request listener), reports the address actually bound, and closes
 * gracefully: stop accepting, let requests in flight finish, then cut what is left.
 *
 * @module
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { originOf } from './config/origin.js';

/** A web-standard request handler. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

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
  const listener = getRequestListener((request: Request) => handler(request), {
    // Keep Node's own Request/Response globals: code embedding the server may share the process.
    overrideGlobalObjects: false,
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
