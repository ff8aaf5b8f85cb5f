// Child process: the HTTPS host of CIMD client documents for `npm run bench`, on 127.0.0.1 with
// a throwaway test CA. Any path `/<name>.json` answers a public client's document whose
// `client_id` is its own URL (`https://localhost:<port>/<name>.json`), `Cache-Control:
// max-age=3600`, after BENCH_DOC_DELAY_MS (default 0). It counts the requests per path; the
// parent asks with `{ hits: path }` over IPC. Sends { ready, port, origin, caCert }.
import { createServer } from 'node:https';
import { createTestCa } from 'mcp-cimd/testing';

const delayMs = Number(process.env.BENCH_DOC_DELAY_MS ?? 0);
const ca = createTestCa();
const hits = new Map();
let origin;

const server = createServer({ cert: ca.cert, key: ca.key }, (req, res) => {
  const path = req.url ?? '/';
  hits.set(path, (hits.get(path) ?? 0) + 1);
  if (!/^\/[\w-]+\.json$/.test(path)) {
    res.writeHead(404).end();
    return;
  }
  const body = JSON.stringify({
    client_id: `${origin}${path}`,
    client_name: 'Bench client',
    redirect_uris: ['https://client.example/cb'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  });
  const send = () =>
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' }).end(body);
  if (delayMs > 0) setTimeout(send, delayMs);
  else send();
});
server.keepAliveTimeout = 1_000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
origin = `https://localhost:${port}`;
process.on('message', (message) => {
  if (typeof message?.hits === 'string')
    process.send({ path: message.hits, hits: hits.get(message.hits) ?? 0 });
});
process.send({ ready: true, port, origin, caCert: ca.caCert });
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => {
    ca.dispose();
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 1_000).unref();
});
