// Child process (run with --expose-gc): heap per cached client document. Resolves N distinct CIMD
// documents (argv[2], default 10 000) through our server's client registry, fetched from a plain
// http loopback host in this process (`dangerouslyAllowHttpClientIds`, bench only), on a SQLite
// store (so the heap holds the in-process cache tier only). Heap used after full GCs, before and
// after. Sends { ready, count, bytesPerClient, heapBefore, heapAfter }.

import { rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthorizationServer, devLogin } from 'mcp-cimd/server';
import { createSqliteStore } from 'mcp-cimd/store/sqlite';

const count = Number(process.argv[2] ?? 10_000);
let origin;
const docs = http.createServer((req, res) => {
  const body = JSON.stringify({
    client_id: `${origin}${req.url}`,
    client_name: `Bench client ${req.url.slice(3, -5)}`,
    redirect_uris: ['https://client.example/cb'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  });
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' }).end(body);
});
await new Promise((resolve) => docs.listen(0, '127.0.0.1', resolve));
origin = `http://127.0.0.1:${docs.address().port}`;

const file = join(tmpdir(), `cimd-bench-memory-${process.pid}.sqlite`);
const store = await createSqliteStore({ path: file });
const server = createAuthorizationServer({
  issuer: 'http://127.0.0.1:1',
  resources: ['https://rs.example/mcp'],
  store,
  authenticator: devLogin(),
  registration: false,
  clients: {
    dangerouslyAllowHttpClientIds: true,
    cache: { shared: false },
    fetchBudget: { requestsPerMinute: 1_000_000, failuresPerMinute: 1_000_000, maxConcurrent: 64 },
  },
});
const { registry } = server.context;
let failures = 0;
let lastError;
async function resolveOne(i) {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await registry.resolveClient(`${origin}/c/${i}.json`);
    } catch (error) {
      failures++;
      lastError = `${error.code}: ${error.message}`;
    }
  }
  throw new Error(lastError);
}

const heap = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
};

await resolveOne(-1); // warm the code paths
const heapBefore = await heap();
for (let i = 0; i < count; i += 16) {
  await Promise.all(Array.from({ length: Math.min(16, count - i) }, (_, j) => resolveOne(i + j)));
}
const heapAfter = await heap();
// Every document must still be cached: a second pass must not refetch (checked by timing-free count).
let refetched = 0;
docs.on('request', () => refetched++);
for (let i = 0; i < count; i += 256)
  await Promise.all(Array.from({ length: Math.min(256, count - i) }, (_, j) => resolveOne(i + j)));
process.send({
  ready: true,
  count,
  heapBefore,
  heapAfter,
  bytesPerClient: (heapAfter - heapBefore) / count,
  refetched,
  failures,
  lastError,
});
await server.close?.();
await store.close();
rmSync(file, { force: true });
rmSync(`${file}-wal`, { force: true });
rmSync(`${file}-shm`, { force: true });
docs.close();
process.exit(0);
