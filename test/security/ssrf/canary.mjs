/**
 * The canary: TCP listeners on every port the corpus names, on `::` with dual stack (so IPv4
 * connections arrive too, as `::ffff:a.b.c.d`). The runner makes every IPv4 and IPv6 address
 * local in its network namespace (`ip route add local 0.0.0.0/0 dev lo` and `::/0`), so a
 * connection to ANY address on one of these ports lands here: nothing can fail quietly with
 * "network unreachable" instead of being seen.
 *
 * Each connection is recorded (local and remote address and port, the case running at the time)
 * and closed at once, except connections to the one public document host address on port 443:
 * those are handed to the HTTPS document host (`https`), which serves the legitimate documents,
 * redirects and keys of the corpus. Connections to that public address on other ports are
 * recorded apart, as public connections (allowed: any port of a public host may be fetched).
 */
import { createServer } from 'node:net';

/** `::ffff:a.b.c.d` -> `a.b.c.d`; other addresses unchanged. */
export function unmapped(address) {
  return typeof address === 'string' && address.startsWith('::ffff:') && address.includes('.')
    ? address.slice('::ffff:'.length)
    : address;
}

/**
 * Starts the canary on `ports`. `publicAddress` is the document host's address; connections to
 * it on port 443 go to `https` (a `node:https` server that is not listening itself).
 * `currentCase()` names the case running now. Returns `{ hits, publicConnections, close }`.
 */
export async function startCanary({ ports, publicAddress, https, currentCase }) {
  const hits = [];
  const publicConnections = [];
  const sockets = new Set();
  const servers = [];
  for (const port of ports) {
    const server = createServer((socket) => {
      const entry = {
        case: currentCase(),
        local: `${unmapped(socket.localAddress)}`,
        localPort: socket.localPort,
        remote: `${unmapped(socket.remoteAddress)}`,
        at: Date.now(),
      };
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      if (entry.local === publicAddress) {
        publicConnections.push(entry);
        if (port === 443) {
          https.emit('connection', socket);
          return;
        }
      } else {
        hits.push(entry);
      }
      socket.destroy();
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: '::', ipv6Only: false }, resolve);
    });
    servers.push(server);
  }
  return {
    hits,
    publicConnections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(() => resolve()))));
    },
  };
}
