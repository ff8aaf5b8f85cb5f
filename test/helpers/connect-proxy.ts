/**
 * A real HTTP CONNECT proxy on loopback for tests: it records every CONNECT (the authority asked
 * for and the Proxy-Authorization sent) and tunnels each to one fixed local port (or answers
 * with `refuseWith`), whatever address was asked for.
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

/** One CONNECT the proxy received. */
export interface ConnectRecord {
  /** The request target: `host:port`. */
  authority: string;
  proxyAuthorization: string | undefined;
}

export interface ConnectProxy {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every CONNECT, in order. */
  connects: ConnectRecord[];
  /** Plain (non-CONNECT) requests seen. */
  plainRequests: number;
  /** Answer the next CONNECTs with this status instead of tunnelling (undefined: tunnel). */
  refuseWith: number | undefined;
  close(): Promise<void>;
}

/** Starts the proxy; every tunnel goes to `127.0.0.1:targetPort`. */
export async function startConnectProxy(targetPort: number): Promise<ConnectProxy> {
  const sockets = new Set<Socket>();
  const proxy: ConnectProxy = {
    url: '',
    connects: [],
    plainRequests: 0,
    refuseWith: undefined,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((_req, res) => {
    proxy.plainRequests += 1;
    res.writeHead(400).end('CONNECT only');
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    sockets.add(client);
    proxy.connects.push({ authority: req.url ?? '', proxyAuthorization: req.headers['proxy-authorization'] });
    if (proxy.refuseWith !== undefined) {
      client.end(`HTTP/1.1 ${proxy.refuseWith} Refused\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    const close = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', close);
    client.on('error', close);
    upstream.on('close', close);
    client.on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
