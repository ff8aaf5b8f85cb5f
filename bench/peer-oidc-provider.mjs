// Child process: the peer authorization server for section 2 of `npm run bench`, oidc-provider
// on 127.0.0.1 (NODE_ENV=production, set by startChild). One `private_key_jwt` client with the
// parent's ES256 public JWK inline, refresh tokens rotated on every use, ES256 JWT access tokens
// bound to the resource. Storage is the Map adapter below (no latency, like our memory store), or
// with BENCH_PEER_DATABASE_URL a PostgreSQL adapter (peer-postgres-adapter.mjs, in the schema
// BENCH_STORE_NAMESPACE) for the side-by-side on PostgreSQL.
// Refresh chains are minted through the real endpoints: GET /auth, a headless /interaction/:uid
// (login + consent via the provider's interaction API, no devInteractions), the resumed /auth
// redirect with a code, then POST /token. Sends { ready, port, issuer, chains, clientId }.
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, importJWK } from 'jose';
import Provider from 'oidc-provider';
import { Agent, fetch as undiciFetch } from 'undici';
import { signClientAssertion } from './assertions.mjs';
import { createPostgresAdapter } from './peer-postgres-adapter.mjs';

const chainCount = Number(process.argv[2] ?? 96); // 0: no refresh chains (the /auth scenarios)
const resource = process.env.BENCH_RESOURCE;
const clientJwk = JSON.parse(process.env.BENCH_CLIENT_JWK);
const { d: _d, ...clientPublicJwk } = clientJwk;
const clientId = 'bench-pkjwt';
const redirectUri = 'https://client.example/cb'; // never fetched: redirects are read, not followed
const scope = 'mcp:tools';

const b64url = (buffer) => buffer.toString('base64url');
const sha256 = (value) => b64url(createHash('sha256').update(value).digest());

/**
 * Map-backed adapter: expiry checked on read, `consume`, `findByUid`, `findByUserCode`, and
 * `revokeByGrantId` through a per-grant key index. One Map shared by every model.
 */
const records = new Map(); // `${model}:${id}` -> { payload, expiresAt }
const byGrant = new Map(); // grantId -> Set of record keys
const byUid = new Map(); // `${model}:${uid}` -> id
const byUserCode = new Map(); // `${model}:${userCode}` -> id
class MapAdapter {
  constructor(model) {
    this.model = model;
  }
  key(id) {
    return `${this.model}:${id}`;
  }
  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    records.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
    if (payload.grantId) {
      const keys = byGrant.get(payload.grantId) ?? new Set();
      keys.add(key);
      byGrant.set(payload.grantId, keys);
    }
    if (payload.uid) byUid.set(this.key(payload.uid), id);
    if (payload.userCode) byUserCode.set(this.key(payload.userCode), id);
  }
  async find(id) {
    const key = this.key(id);
    const record = records.get(key);
    if (!record) return undefined;
    if (record.expiresAt !== undefined && record.expiresAt <= Date.now()) {
      records.delete(key);
      return undefined;
    }
    return record.payload;
  }
  async findByUid(uid) {
    const id = byUid.get(this.key(uid));
    return id === undefined ? undefined : this.find(id);
  }
  async findByUserCode(userCode) {
    const id = byUserCode.get(this.key(userCode));
    return id === undefined ? undefined : this.find(id);
  }
  async consume(id) {
    const record = records.get(this.key(id));
    if (record) record.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) {
    records.delete(this.key(id));
  }
  async revokeByGrantId(grantId) {
    for (const key of byGrant.get(grantId) ?? []) records.delete(key);
    byGrant.delete(grantId);
  }
}

const database = process.env.BENCH_PEER_DATABASE_URL
  ? await createPostgresAdapter(
      process.env.BENCH_PEER_DATABASE_URL,
      process.env.BENCH_STORE_NAMESPACE ?? 'cimd_bench_peer',
    )
  : undefined;

const asKey = await generateKeyPair('ES256', { extractable: true });
const asJwk = { ...(await exportJWK(asKey.privateKey)), kid: 'peer-es-1', alg: 'ES256', use: 'sig' };

let provider;
let providerCallback;
const httpServer = createServer((req, res) => {
  if (req.method === 'GET' && req.url.startsWith('/interaction/')) {
    headlessInteraction(req, res).catch((error) => {
      res.statusCode = 500;
      res.end(String(error?.message ?? error));
    });
    return;
  }
  providerCallback(req, res);
});
await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
const { port } = httpServer.address();
const issuer = `http://127.0.0.1:${port}`;

const cimd = cimdConfig();
provider = new Provider(issuer, {
  adapter: database?.Adapter ?? MapAdapter,
  clients: [
    {
      client_id: clientId,
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [clientPublicJwk] },
      id_token_signed_response_alg: 'ES256', // the provider holds one ES256 key (no RS256); no id_token is issued here
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
    },
  ],
  jwks: { keys: [asJwk] },
  // CIMD documents name no id_token alg; the provider holds one ES256 key (no RS256).
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  cookies: { keys: [b64url(randomBytes(32))] },
  renderError: async (ctx, out) => {
    ctx.type = 'json';
    ctx.body = out;
  },
  pkce: { required: () => true },
  rotateRefreshToken: true,
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  ttl: {
    AuthorizationCode: 600,
    AccessToken: 3600,
    RefreshToken: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
    Interaction: 600,
    Session: 14 * 24 * 3600,
  },
  ...(cimd.fetch ? { fetch: cimd.fetch } : {}),
  features: {
    ...cimd.features,
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf ?? resource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, indicator) => ({
        scope,
        audience: indicator,
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});
providerCallback = provider.callback();

/**
 * With BENCH_DOC_ORIGIN and BENCH_DOC_CA: CIMD (`clientIdMetadataDocument`, draft-02) for documents
 * at that loopback origin only. The provider's own SSRF dispatcher refuses loopback addresses, so
 * its `fetch` is replaced for that origin by undici with the document host's CA; every other URL
 * keeps the provider's dispatcher.
 */
function cimdConfig() {
  const docOrigin = process.env.BENCH_DOC_ORIGIN;
  if (!docOrigin) return {};
  const agent = new Agent({ connect: { ca: process.env.BENCH_DOC_CA } });
  return {
    fetch: (url, options) =>
      new URL(url).origin === docOrigin
        ? undiciFetch(url, { ...options, dispatcher: agent })
        : globalThis.fetch(url, options),
    features: {
      clientIdMetadataDocument: {
        enabled: true,
        ack: 'draft-02',
        allowFetch: async (_ctx, id) => new URL(id).origin === docOrigin,
        cacheDuration: { min: 30, max: 86_400 },
      },
    },
  };
}

/** GET /interaction/:uid: logs `user-1` in and grants the requested resource scope, no UI. */
async function headlessInteraction(req, res) {
  const { params, session } = await provider.interactionDetails(req, res);
  const accountId = session?.accountId ?? 'user-1';
  const grant = new provider.Grant({ accountId, clientId: params.client_id });
  grant.addResourceScope(params.resource ?? resource, params.scope ?? scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } });
}

/** Minimal cookie jar over loopback fetch: one per chain, so each chain has its own session and grant. */
async function get(url, jar) {
  const response = await fetch(url, {
    redirect: 'manual',
    headers: { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') },
  });
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    jar.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const text = await response.text();
  if (response.status !== 302 && response.status !== 303) {
    throw new Error(`GET ${url}: expected a redirect, got ${response.status} ${text.slice(0, 300)}`);
  }
  return new URL(response.headers.get('location'), issuer);
}

const signingKey = await importJWK(clientJwk, 'ES256');
const signAssertion = () => signClientAssertion(signingKey, clientJwk.kid, clientId, issuer);

async function mintChain() {
  const jar = new Map();
  const verifier = b64url(randomBytes(32));
  const auth = new URL('/auth', issuer);
  auth.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope,
    resource,
    code_challenge: sha256(verifier),
    code_challenge_method: 'S256',
    state: b64url(randomBytes(8)),
  }).toString();
  let location = await get(auth, jar);
  for (let hops = 0; location.origin === issuer; hops++) {
    if (hops > 4) throw new Error(`too many redirects, last ${location}`);
    location = await get(location, jar);
  }
  const code = location.searchParams.get('code');
  if (!code) throw new Error(`no code in ${location}`);
  const response = await fetch(new URL('/token', issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: redirectUri,
      resource,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await signAssertion(),
    }),
  });
  const body = await response.json();
  if (response.status !== 200 || typeof body.refresh_token !== 'string') {
    throw new Error(`code grant: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.refresh_token;
}

try {
  const chains = [];
  for (let i = 0; i < chainCount; i += 16) {
    chains.push(...(await Promise.all(Array.from({ length: Math.min(16, chainCount - i) }, mintChain))));
  }
  process.send({ ready: true, port, issuer, chains, clientId });
} catch (error) {
  process.send({ ready: false, error: error.message });
  process.exit(1);
}
process.on('SIGTERM', () => {
  httpServer.close(() => (database?.close() ?? Promise.resolve()).finally(() => process.exit(0)));
  httpServer.closeAllConnections?.();
  setTimeout(() => process.exit(0), 1_000).unref();
});
