/**
 * Runs INSIDE a network namespace of its own (`unshare -n`): an address that is not loopback
 * (192.0.2.10) is added to the namespace's `lo`, the authorization server with the development
 * login listens on every interface through @hono/node-server (as an embedding app might, with a
 * loopback issuer), and real TCP connections are made from 127.0.0.1 and from 192.0.2.10, each
 * sending `Host: 127.0.0.1:<port>`. Prints one JSON line: the status each connection got.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { serve } from '@hono/node-server';

const [dist] = process.argv.slice(2);
const { createAuthorizationServer, devLogin } = await import(`${dist}/server/index.js`);
const { createMemoryStore } = await import(`${dist}/store/index.js`);

execFileSync('ip', ['link', 'set', 'lo', 'up']);
execFileSync('ip', ['addr', 'add', '192.0.2.10/32', 'dev', 'lo']);

const listener = serve({ fetch: (req, env) => handler(req, env), port: 0, hostname: '0.0.0.0' });
await new Promise((resolve) => (listener.listening ? resolve() : listener.once('listening', resolve)));
const { port } = listener.address();
const issuer = `http://127.0.0.1:${port}`;
const store = createMemoryStore();
const server = createAuthorizationServer({
  issuer,
  resources: ['https://mcp.example.com/mcp'],
  store,
  authenticator: devLogin(),
});
const handler = server.fetch;

const registered = await server.fetch(
  new Request(`${issuer}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Peer test',
      redirect_uris: ['http://127.0.0.1/callback'],
      application_type: 'native',
      token_endpoint_auth_method: 'none',
    }),
  }),
);
const { client_id } = await registered.json();
const query = new URLSearchParams({
  response_type: 'code',
  client_id,
  redirect_uri: 'http://127.0.0.1:9/callback',
  code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'),
  code_challenge_method: 'S256',
  state: 's',
  resource: 'https://mcp.example.com/mcp',
});

/** GET /authorize over a real connection made from `localAddress`, claiming a loopback Host. */
function authorizeFrom(localAddress, target) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target,
        port,
        localAddress,
        path: `/authorize?${query}`,
        headers: { host: `127.0.0.1:${port}` },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode, consent: body.includes('Allow access') }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

const loopback = await authorizeFrom('127.0.0.1', '127.0.0.1');
const remote = await authorizeFrom('192.0.2.10', '192.0.2.10');
console.log(JSON.stringify({ loopback, remote }));
listener.closeAllConnections?.();
listener.close();
await server.close();
await store.close();
