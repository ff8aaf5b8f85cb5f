/**
 * Hostile document hosts on loopback for the stall tests, each counting what reached it and the
 * connections it still holds open:
 *
 * - {@link startStallingHttpsHost}: HTTPS listeners (the test CA's loopback certificate; one
 *   origin per listener, so that stalls on distinct origins can be told apart from the fetcher's
 *   one-connection-per-origin queueing) whose path prefix picks the stall: `/silent/` never sends a response; `/slow-headers/` sends
 *   the status line and then one header byte a second, never finishing the head; `/trickle/`
 *   sends the headers of a 4000-byte JSON body and then one byte a second; `/endless/` sends a
 *   200 JSON head without a length and then bytes as fast as the socket takes them, forever;
 *   `/ok/` answers at once with a valid document (for the same-origin cases).
 * - {@link startTlsBlackhole}: listeners that accept TCP connections and never answer the TLS
 *   ClientHello.
 *
 * (Stalled DNS uses the DNS responder of the fetcher's tests, `test/fetch/dns-responder.ts`.)
 * Nothing here ever ends a stall on its own: only the client going away (or `close`) does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { TestCa } from '../../helpers/test-ca.js';

/** The stalls the HTTPS host plays, by path prefix. */
export const STALLS = ['silent', 'slow-headers', 'trickle', 'endless'] as const;
export type Stall = (typeof STALLS)[number];

/** Open sockets of a server, and how many it ever accepted. */
class SocketLedger {
  readonly #open = new Set<Socket>();
  accepted = 0;

  add(socket: Socket): void {
    this.accepted += 1;
    this.#open.add(socket);
    socket.once('close', () => this.#open.delete(socket));
  }

  get open(): number {
    return this.#open.size;
  }

  destroyAll(): void {
    for (const socket of this.#open) socket.destroy();
  }
}

function listenOnLoopback(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

async function closeServers(servers: Server[], ledger: SocketLedger): Promise<void> {
  ledger.destroyAll();
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
}

/** HTTPS listeners that stall by path prefix (see the module documentation). */
export interface StallingHttpsHost {
  ports: number[];
  /** `https://localhost:<port>` of listener `index` (modulo their number): one origin per listener. */
  origin(index: number): string;
  /** Requests that reached the host, per stall. */
  requests: Record<Stall, number>;
  /** Requests for `/ok/` paths, which get a valid public-client document at once. */
  readonly okRequests: number;
  /** TLS connections open now (each stalled fetch holds one until it gives up). */
  readonly openConnections: number;
  /** TLS connections ever accepted. */
  readonly acceptedConnections: number;
  close(): Promise<void>;
}

/** A valid public-client document for `clientId` (loopback redirect URI). */
export function validDocument(clientId: string): Record<string, unknown> {
  return {
    client_id: clientId,
    client_name: 'Stall test client',
    redirect_uris: ['http://127.0.0.1/callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  };
}

/** Calls `tick` every second until the socket closes. */
function everySecond(socket: Socket, tick: () => void): void {
  const timer = setInterval(tick, 1000);
  socket.once('close', () => clearInterval(timer));
}

function stallOf(path: string): Stall | undefined {
  return STALLS.find((stall) => path.startsWith(`/${stall}/`));
}

function play(stall: Stall, req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  switch (stall) {
    case 'silent':
      return;
    case 'slow-headers':
      // Raw bytes on the socket: a status line, then a header that never ends.
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-stall: ');
      everySecond(socket, () => socket.write('a'));
      return;
    case 'trickle':
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4000' });
      res.write('{');
      everySecond(socket, () => res.write(' '));
      return;
    case 'endless': {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(16 * 1024, ' ');
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk)) {
          // keep writing until the socket pushes back
        }
        if (!res.destroyed) res.once('drain', pump);
      };
      res.write('{"client_id":"');
      pump();
      return;
    }
  }
}

/** Starts `listeners` HTTPS listeners on 127.0.0.1 (one origin each) that stall by path. */
export async function startStallingHttpsHost(ca: TestCa, listeners = 1): Promise<StallingHttpsHost> {
  const ledger = new SocketLedger();
  const requests: Record<Stall, number> = { silent: 0, 'slow-headers': 0, trickle: 0, endless: 0 };
  let okRequests = 0;
  const servers: Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < listeners; i += 1) {
    const server = createHttpsServer({ cert: ca.cert, key: ca.key }, (req, res) => {
      const path = req.url ?? '/';
      if (path.startsWith('/ok/')) {
        okRequests += 1;
        const clientId = `https://${req.headers.host ?? ''}${path}`;
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(validDocument(clientId)));
        return;
      }
      const stall = stallOf(path);
      if (stall === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      requests[stall] += 1;
      play(stall, req, res);
    });
    // No server-side timeouts: the stall lasts as long as the client is willing to wait.
    server.requestTimeout = 0;
    server.headersTimeout = 0;
    server.keepAliveTimeout = 0;
    server.on('secureConnection', (socket) => {
      ledger.add(socket);
      socket.on('error', () => {});
    });
    servers.push(server);
    ports.push(await listenOnLoopback(server));
  }
  return {
    ports,
    origin: (index) => `https://localhost:${ports[index % ports.length]}`,
    requests,
    get okRequests() {
      return okRequests;
    },
    get openConnections() {
      return ledger.open;
    },
    get acceptedConnections() {
      return ledger.accepted;
    },
    close: () => closeServers(servers, ledger),
  };
}

/** Listeners that never complete a TLS handshake. */
export interface TlsBlackhole {
  ports: number[];
  /** `https://localhost:<port>` of listener `index` (modulo their number). */
  origin(index: number): string;
  readonly openConnections: number;
  readonly acceptedConnections: number;
  /** Bytes of ClientHello (and anything else) received. */
  readonly bytesReceived: number;
  close(): Promise<void>;
}

/** Starts `listeners` TCP listeners on 127.0.0.1 that accept, read what comes and never answer. */
export async function startTlsBlackhole(listeners = 1): Promise<TlsBlackhole> {
  const ledger = new SocketLedger();
  let bytesReceived = 0;
  const servers: Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < listeners; i += 1) {
    const server = createTcpServer((socket) => {
      ledger.add(socket);
      socket.on('data', (data) => {
        bytesReceived += data.length;
      });
      socket.on('error', () => {});
    });
    servers.push(server);
    ports.push(await listenOnLoopback(server));
  }
  return {
    ports,
    origin: (index) => `https://localhost:${ports[index % ports.length]}`,
    get openConnections() {
      return ledger.open;
    },
    get acceptedConnections() {
      return ledger.accepted;
    },
    get bytesReceived() {
      return bytesReceived;
    },
    close: () => closeServers(servers, ledger),
  };
}
