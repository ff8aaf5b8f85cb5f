// Child process: our authorization server (BENCH_STORE: memory, or sqlite:<file>; development
// login) on 127.0.0.1. With BENCH_DOC_CA (PEM), CIMD documents are fetched from the bench's
// loopback HTTPS document host, trusting that CA (private network allowed for loopback). With
// two registered clients (public `none`, and `private_key_jwt` with the parent's ES256 key).
// It seeds refresh chains through the real token endpoint: codes saved with `store.saveCode`,
// each redeemed once at POST /token. Sends { ready, port, issuer, chains: { none, pkjwt } }.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { importJWK } from 'jose';
import { createAuthorizationServer, devLogin } from 'mcp-cimd/server';
import { createNodeListener } from 'mcp-cimd/server/node';
import { createMemoryStore } from 'mcp-cimd/store';
import { createSqliteStore } from 'mcp-cimd/store/sqlite';
import { signClientAssertion } from './assertions.mjs';

const chainsPerClient = Number(process.argv[2] ?? 128);
const resource = process.env.BENCH_RESOURCE;
const clientJwk = JSON.parse(process.env.BENCH_CLIENT_JWK);
const { d: _d, ...clientPublicJwk } = clientJwk;
const redirectUri = 'http://127.0.0.1/callback';

const b64url = (buffer) => buffer.toString('base64url');
const sha256 = (value) => b64url(createHash('sha256').update(value).digest());

let server;
// The server's own Node listener (what `cimd serve` runs).
const httpServer = createServer(createNodeListener((request, env) => server.fetch(request, env)));
await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
const { port } = httpServer.address();
const issuer = `http://127.0.0.1:${port}`;
// BENCH_STORE: `memory` (default), `sqlite:<file>`, `postgres://…` (tables in the schema
// BENCH_STORE_NAMESPACE) or `redis://…` (keys under the prefix BENCH_STORE_NAMESPACE).
const storeSpec = process.env.BENCH_STORE ?? 'memory';
const namespace = process.env.BENCH_STORE_NAMESPACE ?? 'cimd_bench';
let store;
if (storeSpec.startsWith('sqlite:')) {
  store = await createSqliteStore({ path: storeSpec.slice('sqlite:'.length) });
} else if (/^postgres(ql)?:\/\//.test(storeSpec)) {
  const { createPostgresStore } = await import('mcp-cimd/store/postgres');
  store = await createPostgresStore({ connectionString: storeSpec, schema: namespace });
} else if (storeSpec.startsWith('redis://')) {
  const { createRedisStore } = await import('mcp-cimd/store/redis');
  store = await createRedisStore({ url: storeSpec, keyPrefix: `${namespace}:` });
} else {
  store = createMemoryStore();
}
server = createAuthorizationServer({
  issuer,
  resources: [resource],
  scopesSupported: ['mcp:tools'],
  store,
  authenticator: devLogin(),
  registration: false,
  ...(process.env.BENCH_DOC_CA
    ? { clients: { allowPrivateNetwork: true, fetchOptions: { ca: process.env.BENCH_DOC_CA } } }
    : {}),
  // The bench loads the server from one address: no rate limits.
  rateLimit: false,
});

const clients = {
  none: { clientId: 'bench-public', metadata: { token_endpoint_auth_method: 'none' } },
  pkjwt: {
    clientId: 'bench-pkjwt',
    metadata: {
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [clientPublicJwk] },
    },
  },
};
for (const { clientId, metadata } of Object.values(clients)) {
  await store.saveClient({
    clientId,
    metadata: {
      client_name: clientId,
      redirect_uris: [redirectUri, 'https://client.example/cb'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...metadata,
    },
    createdAt: Date.now(),
  });
}

async function seed(kind) {
  const { clientId } = clients[kind];
  const { fingerprint } = await server.context.registry.resolveClient(clientId);
  const tokens = [];
  for (let i = 0; i < chainsPerClient; i++) {
    const code = b64url(randomBytes(32));
    const verifier = b64url(randomBytes(32));
    await store.saveCode(
      sha256(code),
      {
        grantId: randomUUID(),
        clientId,
        userId: `user-${i}`,
        redirectUri,
        codeChallenge: sha256(verifier),
        resources: [resource],
        scope: 'mcp:tools',
        clientFingerprint: fingerprint,
        authTime: Date.now(),
      },
      600_000,
    );
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: redirectUri,
      resource,
    });
    if (kind === 'pkjwt') {
      form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      form.set('client_assertion', await signAssertion(clientJwk, clientId, issuer));
    } else {
      form.set('client_id', clientId);
    }
    const response = await server.fetch(
      new Request(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      }),
    );
    const body = await response.json();
    if (response.status !== 200 || typeof body.refresh_token !== 'string') {
      throw new Error(`seeding ${kind}: ${response.status} ${JSON.stringify(body)}`);
    }
    tokens.push(body.refresh_token);
  }
  return tokens;
}

let signingKey;
async function signAssertion(jwk, clientId, audience) {
  signingKey ??= await importJWK(jwk, 'ES256');
  return signClientAssertion(signingKey, jwk.kid, clientId, audience);
}

try {
  const chains = { none: await seed('none'), pkjwt: await seed('pkjwt') };
  process.send({
    ready: true,
    port,
    issuer,
    chains,
    clients: { none: clients.none.clientId, pkjwt: clients.pkjwt.clientId },
  });
} catch (error) {
  process.send({ ready: false, error: error.message });
  process.exit(1);
}
// Closed in order (connections, server, store) before exiting: a store's native driver must not
// be torn down by the exit while a write is in flight.
process.on('SIGTERM', () => {
  httpServer.close(async () => {
    await server.close();
    await store.close();
    process.exit(0);
  });
  httpServer.closeAllConnections();
  setTimeout(() => process.exit(0), 2_000).unref();
});
