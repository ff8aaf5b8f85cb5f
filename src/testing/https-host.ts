/**
 * A real HTTPS server on loopback for tests, answering each request with a handler and counting
 * the requests it saw per path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestCa } from './test-ca.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpsHost {
  /** `https://localhost:<port>` */
  origin: string;
  /** `https://127.0.0.1:<port>` */
  ipOrigin: string;
  port: number;
  /** Requests seen, per path (query included). */
  hits: Map<string, number>;
  /** Sets the handler for one path (query included); others answer 404. */
  route(path: string, handler: Handler): void;
  close(): Promise<void>;
}

/** Starts an HTTPS server on 127.0.0.1 with the test CA's loopback certificate. */
export async function startHttpsHost(ca: TestCa): Promise<HttpsHost> {
  const routes = new Map<string, Handler>();
  const hits = new Map<string, number>();
  const server: Server = createServer({ cert: ca.cert, key: ca.key }, (req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const handler = routes.get(path);
    if (!handler) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://localhost:${port}`,
    ipOrigin: `https://127.0.0.1:${port}`,
    port,
    hits,
    route: (path, handler) => routes.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A handler that sends a JSON body with the given status and headers. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text);
  };
}
