/**
 * The HTTP(S) server of `cimd host`: the `serveClientMetadata` handler behind Node's server, with
 * one log line per request on stderr.
 *
 * @module
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { getRequestListener } from '@hono/node-server';
import type { ClientMetadataHandler } from '../../../host/handler.js';
import { type CliIo, writeLine } from '../../io.js';

/** How to listen. */
export interface ServerSettings {
  host: string;
  port: number;
  /** PEM certificate and key, for https. */
  tls?: { cert: string; key: string };
}

/** A running server. */
export interface RunningServer {
  /** The port actually bound (differs from the asked one only for port 0). */
  port: number;
  /** Stops accepting requests, drops open connections and resolves when closed. */
  close(): Promise<void>;
}

function describeListenError(error: NodeJS.ErrnoException, settings: ServerSettings): string {
  const where = `${settings.host}:${settings.port}`;
  if (error.code === 'EADDRINUSE')
    return `cannot listen on ${where}: the port is in use; choose another with --port`;
  if (error.code === 'EACCES')
    return `cannot listen on ${where}: permission denied (ports below 1024 need privileges); choose another with --port`;
  if (error.code === 'EADDRNOTAVAIL') return `cannot listen on ${where}: no such local address; check --host`;
  return `cannot listen on ${where}: ${error.message}`;
}

/**
 * Starts serving `handler` and logs each request (`time method path -> status, ms`) to stderr.
 *
 * @throws Error with a message saying why when the server cannot listen.
 */
export async function startServer(
  handler: ClientMetadataHandler,
  settings: ServerSettings,
  io: CliIo,
): Promise<RunningServer> {
  const listener = getRequestListener(async (request) => {
    const started = performance.now();
    const response = await handler.fetch(request);
    const path = new URL(request.url).pathname;
    const millis = (performance.now() - started).toFixed(1);
    const status = response.status >= 500 ? io.colors.red(String(response.status)) : String(response.status);
    writeLine(io.stderr, `${new Date().toISOString()} ${request.method} ${path} -> ${status} (${millis} ms)`);
    return response;
  });
  const server: Server = settings.tls
    ? createHttpsServer({ cert: settings.tls.cert, key: settings.tls.key }, listener)
    : createHttpServer(listener);
  await new Promise<void>((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException) => reject(new Error(describeListenError(error, settings)));
    server.once('error', fail);
    server.listen(settings.port, settings.host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : settings.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
