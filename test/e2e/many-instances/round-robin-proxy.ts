/**
 * A round-robin HTTP load balancer on loopback for the many-instances tests: each request goes to
 * the next live upstream. An upstream that refuses the connection (a killed instance) is taken
 * out of the rotation and the request, which it never received, goes to the next one; a request
 * cut off mid-way answers 502, as a real balancer would.
 */
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running proxy. */
export interface RoundRobinProxy {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Requests each upstream received, by upstream origin. */
  readonly served: Map<string, number>;
  /** Upstreams still in the rotation. */
  live(): string[];
  close(): Promise<void>;
}

/** Starts a proxy on `port` (0: any free one) in front of `upstreams` (origins). */
export async function startRoundRobinProxy(upstreams: string[], port = 0): Promise<RoundRobinProxy> {
  const live = [...upstreams];
  const served = new Map<string, number>(upstreams.map((origin) => [origin, 0]));
  let next = 0;

  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    for (let attempt = 0; attempt < upstreams.length && live.length > 0; attempt += 1) {
      const target = live[next++ % live.length]!;
      const outcome = await new Promise<'done' | 'refused'>((resolve) => {
        const upstream = request(
          `${target}${req.url ?? '/'}`,
          { method: req.method, headers: req.headers },
          (answer) => {
            served.set(target, (served.get(target) ?? 0) + 1);
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
            answer.on('end', () => resolve('done'));
            answer.on('error', () => {
              res.destroy();
              resolve('done');
            });
          },
        );
        upstream.on('error', (error: NodeJS.ErrnoException) => {
          if (error.code === 'ECONNREFUSED') {
            const index = live.indexOf(target);
            if (index >= 0) live.splice(index, 1);
            resolve('refused');
            return;
          }
          if (!res.headersSent) res.writeHead(502).end(`upstream failed: ${error.code ?? error.message}`);
          else res.destroy();
          resolve('done');
        });
        upstream.end(body);
      });
      if (outcome === 'done') return;
    }
    if (!res.headersSent) res.writeHead(502).end('no upstream left');
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served,
    live: () => [...live],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
