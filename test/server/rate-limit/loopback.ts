/**
 * The authorization server on a real loopback socket (@hono/node-server, which hands the server
 * each connection), and requests to it from a chosen loopback source address (127.0.0.2, ...),
 * so that the server sees distinct client IPs.
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import type { AuthorizationServer } from '../../../src/server/index.js';

/** A server listening on 127.0.0.1. */
export interface Listening {
  port: number;
  close(): Promise<void>;
}

/** Serves `server` on 127.0.0.1 (a free port). */
export async function listenOnLoopback(server: AuthorizationServer): Promise<Listening> {
  let node: ServerType | undefined;
  const port = await new Promise<number>((resolve) => {
    node = serve({ fetch: server.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) =>
      resolve(info.port),
    );
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        (node as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        node?.close(() => resolve());
      }),
  };
}

/** What came back. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends one request to `127.0.0.1:port` from `from` (a loopback address), on a new connection. */
export function send(
  port: number,
  path: string,
  options: { method?: string; body?: string; headers?: Record<string, string>; from?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        localAddress: options.from ?? '127.0.0.1',
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** POSTs a form to /token. */
export function postToken(port: number, params: Record<string, string>, from?: string): Promise<Answer> {
  return send(port, '/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
    ...(from === undefined ? {} : { from }),
  });
}
