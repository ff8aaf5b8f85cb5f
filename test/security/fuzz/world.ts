/**
 * The fuzz target ("the world"): every server the fuzzer talks to, on loopback or in process, and
 * the records made up front so fuzzed requests can hit real ones.
 *
 * - `as`: the real authorization server (memory store, development login, registration on, two
 *   resources, `scopesSupported`, a trust policy with one trusted and one denied host) resolving
 *   CIMD documents from a real HTTPS host on 127.0.0.1 (a throwaway CA), with a generous fetch
 *   budget so fuzzed `client_id`s really get fetched.
 * - `budget`: the same server with the DEFAULT per-origin fetch budget, so the one legitimate 503
 *   (`temporarily_unavailable` with `Retry-After`) really happens and is checked.
 * - `upstream`: an OAuth proxy (`createUpstreamAuthenticator` + `oidcProvider`) in front of a real
 *   OpenID provider on loopback (`startUpstreamIdp`), for `/upstream/callback`, `/logout` and
 *   `/authorize/return`.
 * - `resource`: a Hono MCP server with `bearerAuth` and the protected-resource metadata route,
 *   verifying the `as` server's tokens; `bearer`: the framework-free `createBearerAuthenticator`
 *   called with raw header lists (duplicates kept apart, as Express does).
 *
 * The documents the fuzzer makes up (`DocumentSpec`) are served by a second HTTPS host on
 * 127.0.0.1 that keeps only the latest few hundred, so the harness does not grow with the run.
 *
 * Name resolution goes through a resolver the world controls: `localhost` and `*.fuzz.test` are
 * 127.0.0.1, every other name fails, so no fetch ever leaves the machine.
 *
 * Records made up front (the "pools" the `{{placeholders}}` of fuzzed requests name): codes with
 * their verifiers, access and refresh tokens, unanswered consent interactions with their CSRF
 * tokens and cookies, and on the proxy: sign-ins in flight (state and browser-binding cookie),
 * real callback queries carrying real upstream codes, approved interactions, and a session.
 */
import { createHash, createPublicKey, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { completeUpstreamLogin, startUpstreamIdp, type UpstreamIdp } from '../../../src/demo/upstream-idp.js';
import type { DnsResolver } from '../../../src/fetch/dns.js';
import {
  type AuthorizationServer,
  type AuthorizationServerOptions,
  type BearerAuthEnv,
  type BearerAuthenticator,
  bearerAuth,
  createAccessTokenVerifier,
  createAuthorizationServer,
  createBearerAuthenticator,
  createUpstreamAuthenticator,
  devLogin,
  generateEncryptionKey,
  type Logger,
  oidcProvider,
  protectedResourceMetadata,
  protectedResourceMetadataRoute,
  protectedResourceMetadataUrl,
} from '../../../src/server/index.js';
import { createMemoryStore } from '../../../src/store/memory/memory-store.js';
import type { Store } from '../../../src/store/store.js';
import { type HttpsHost, startHttpsHost } from '../../helpers/https-host.js';
import { createTestCa, type TestCa } from '../../helpers/test-ca.js';

export const AS_ISSUER = 'http://127.0.0.1:4000';
export const BUDGET_ISSUER = 'http://127.0.0.1:4001';
export const UPSTREAM_ISSUER = 'http://127.0.0.1:4002';
export const RESOURCE_ORIGIN = 'https://mcp.fuzz.test';
export const RESOURCE = `${RESOURCE_ORIGIN}/mcp`;
export const OTHER_RESOURCE = 'http://127.0.0.1:4003/mcp';
export const SCOPES = ['mcp:tools', 'mcp:read', 'mcp:write'] as const;

/** The servers a fuzzed request can go to. */
export type TargetName = 'as' | 'budget' | 'upstream' | 'resource' | 'bearer';

/** Log lines per level, and the first few error lines (a logged error is a finding too). */
export interface LogCounts {
  byLevel: Record<string, number>;
  /** The first error lines. */
  errors: { message: string; fields: Record<string, unknown> }[];
  /** The latest error line. */
  lastError?: { message: string; fields: Record<string, unknown> };
}

/** A code made through the real /authorize and /consent. */
export interface CodeRecord {
  code: string;
  verifier: string;
  redirectUri: string;
  clientId: string;
}

/** An interaction waiting on a consent page (or approved, on the proxy). */
export interface InteractionRecord {
  interaction: string;
  csrf: string;
  /** `name=value` for the Cookie header. */
  cookie: string;
}

/** A sign-in in flight at the upstream provider. */
export interface PendingRecord {
  state: string;
  /** The browser-binding cookie, `name=value`. */
  bind: string;
  /** A real callback query (`code`, `state`, `iss` from the provider), when made. */
  callbackQuery?: string;
}

/** The world: servers, keys and pools. */
export interface World {
  ca: TestCa;
  host: HttpsHost;
  idp: UpstreamIdp;
  servers: { as: AuthorizationServer; budget: AuthorizationServer; upstream: AuthorizationServer };
  /** The MCP server (Hono) with the bearer middleware. */
  resourceApp: Hono<BearerAuthEnv>;
  /** The framework-free bearer check. */
  bearer: BearerAuthenticator;
  /** The origin a target's requests are addressed to. */
  originOf(target: TargetName): string;
  /** Known clients by alias: their `client_id` and registered redirect URIs. */
  clients: Record<string, { clientId: string; redirectUris: string[] }>;
  /** Registered redirect URIs by `client_id` (known clients, and every document the fuzzer served). */
  redirectUrisOf: Map<string, string[]>;
  /** Serves a document the fuzzer made at a fresh path; returns its URL. */
  serveDocument(status: number, headers: Record<string, string>, body: string): string;
  keys: {
    /** The private_key_jwt clients' key (its public half is in their documents as `kid: k1`). */
    client: KeyObject;
    /** A key nobody registered, with the same `kid`. */
    stranger: KeyObject;
    /** The `as` server's own signing key (tokens forged with it have a valid signature). */
    as: KeyObject;
  };
  /** The `kid` of the `as` server's signing key. */
  asKid: string;
  /** The logo id of the trusted client, once its consent page fetched it. */
  logoId: string;
  pools: {
    /** Unused codes of the public client. */
    codes: CodeRecord[];
    /** Unused codes of the private_key_jwt client (`pkjwt`). */
    keyCodes: CodeRecord[];
    access: string[];
    refresh: string[];
    interactions: InteractionRecord[];
    /** The proxy's sign-ins in flight. */
    pending: PendingRecord[];
    /** The proxy's approved interactions (for /authorize/return). */
    approved: InteractionRecord[];
    /** The proxy's session cookie, `name=value`. */
    session: string;
  };
  logs: LogCounts;
  /** Makes fresh pools (codes expire and get used; a long run asks for new ones now and then). */
  replenish(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Bounds on what the servers keep, so that their legitimate state stops growing early in a long
 * run and a leak shows as growth after that: codes live 60 s (the default), consent interactions
 * 60 s (the pools are made afresh every few thousand requests), caches hold 2,000 entries.
 */
const LIFETIME_MS = 60_000;
const CACHE_ENTRIES = 2_000;

/** How many of the documents the fuzzer made are still served (the latest). */
const MAX_FUZZ_DOCUMENTS = 500;

/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** localhost and *.fuzz.test are 127.0.0.1; nothing else resolves. */
export const fuzzResolver: DnsResolver = async (hostname) => {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.fuzz.test')) return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
};

function countingLogger(counts: LogCounts): Logger {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message?: string): void => {
      counts.byLevel[level] = (counts.byLevel[level] ?? 0) + 1;
      if (level !== 'error') return;
      counts.lastError = { message: message ?? '', fields };
      if (counts.errors.length < 20) counts.errors.push(counts.lastError);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function sendJson(body: unknown, headers: Record<string, string> = {}) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    res
      .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600', ...headers })
      .end(JSON.stringify(body));
  };
}

function publicJwk(key: KeyObject): Record<string, unknown> {
  const jwk = createPublicKey(key).export({ format: 'jwk' }) as Record<string, unknown>;
  return { ...jwk, kid: 'k1', use: 'sig', alg: 'ES256' };
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function firstCookie(response: Response): string {
  return (response.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
}

/** The hidden fields of a consent page, and its CSRF cookie. */
async function readConsentPage(response: Response, what: string): Promise<InteractionRecord> {
  const html = await response.text();
  const interaction = /name="interaction" value="([^"]+)"/.exec(html)?.[1];
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
  if (response.status !== 200 || interaction === undefined || csrf === undefined) {
    throw new Error(
      `fuzz world: no consent page for ${what}: ${response.status} ${/<p>([^<]*)<\/p>/.exec(html)?.[1] ?? html.slice(0, 300)}`,
    );
  }
  return { interaction, csrf, cookie: firstCookie(response) };
}

function authorizeUrl(issuer: string, params: Record<string, string>): string {
  return `${issuer}/authorize?${new URLSearchParams(params)}`;
}

function consentPost(issuer: string, page: InteractionRecord, decision = 'approve'): Request {
  return new Request(`${issuer}/consent`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: issuer,
      cookie: page.cookie,
    },
    body: new URLSearchParams({ interaction: page.interaction, csrf_token: page.csrf, decision }),
  });
}

export async function startWorld(): Promise<World> {
  const ca = createTestCa();
  const host = await startHttpsHost(ca);
  const logs: LogCounts = { byLevel: {}, errors: [] };
  const logger = countingLogger(logs);
  const clientKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const strangerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const jwks = { keys: [publicJwk(clientKey)] };

  // The CIMD documents of the known clients.
  const url = (path: string) => `${host.origin}${path}`;
  const base = (path: string, redirectUris: string[], extra: Record<string, unknown> = {}) => ({
    client_id: url(path),
    client_name: `Fuzz ${path}`,
    redirect_uris: redirectUris,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...extra,
  });
  const documents: Record<string, { path: string; document: Record<string, unknown> }> = {};
  const define = (alias: string, path: string, redirectUris: string[], extra?: Record<string, unknown>) => {
    documents[alias] = { path, document: base(path, redirectUris, extra) };
    host.route(path, sendJson(documents[alias].document));
  };
  define('public', '/clients/public.json', [
    'http://127.0.0.1/callback',
    'http://localhost/callback',
    'https://app.fuzz.test/cb',
    'https://app.fuzz.test/cb?tenant=1',
    'com.example.fuzz:/cb',
  ]);
  define('single', '/clients/single.json', ['https://single.fuzz.test/cb']);
  define('loopback', '/clients/loopback.json', ['http://127.0.0.1/callback']);
  define('wildcard', '/clients/wildcard.json', ['http://localhost:*/cb']);
  define('trusted', '/clients/trusted.json', ['http://localhost/cb', 'https://trusted.fuzz.test/cb'], {
    logo_uri: url('/logo.png'),
    scope: 'mcp:tools mcp:read',
  });
  define('pkjwt', '/clients/pkjwt.json', ['http://127.0.0.1/callback'], {
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks,
  });
  define('pkjwt-uri', '/clients/pkjwt-uri.json', ['http://127.0.0.1/callback'], {
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks_uri: url('/clients/pkjwt.jwks'),
  });
  define('confidential', '/clients/confidential.json', ['http://127.0.0.1/callback'], {
    token_endpoint_auth_method: 'client_secret_basic',
  });
  host.route('/clients/pkjwt.jwks', sendJson(jwks, { 'content-type': 'application/jwk-set+json' }));
  host.route('/logo.png', (_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'max-age=3600' }).end(PNG);
  });

  // Documents the fuzzer makes are served by a host of their own, which keeps only the latest
  // ones: the harness must not grow with the run, or the heap report would show its growth.
  let served = 0;
  const redirectUrisOf = new Map<string, string[]>();
  const fuzzDocuments = new Map<string, { status: number; headers: Record<string, string>; text: string }>();
  const documentServer = createHttpsServer({ cert: ca.cert, key: ca.key }, (req, res) => {
    const document = fuzzDocuments.get(req.url ?? '');
    try {
      if (document === undefined) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      else res.writeHead(document.status, document.headers).end(document.text);
    } catch {
      // A header value Node refuses: the connection just ends.
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => documentServer.listen(0, '127.0.0.1', resolve));
  const documentOrigin = `https://localhost:${(documentServer.address() as AddressInfo).port}`;
  const serveDocument = (status: number, headers: Record<string, string>, body: string): string => {
    served += 1;
    const path = `/fz/${served}/client.json`;
    const clientId = `${documentOrigin}${path}`;
    const text = body.replaceAll('{{doc}}', clientId);
    fuzzDocuments.set(path, { status, headers, text });
    try {
      const parsed = JSON.parse(text) as { redirect_uris?: unknown };
      if (Array.isArray(parsed.redirect_uris)) {
        redirectUrisOf.set(
          clientId,
          parsed.redirect_uris.filter((uri): uri is string => typeof uri === 'string'),
        );
      }
    } catch {
      // Not JSON: the server refuses it, and no redirect may follow.
    }
    if (fuzzDocuments.size > MAX_FUZZ_DOCUMENTS) {
      const [oldest] = fuzzDocuments.keys();
      if (oldest !== undefined) {
        fuzzDocuments.delete(oldest);
        redirectUrisOf.delete(`${documentOrigin}${oldest}`);
      }
    }
    return clientId;
  };

  const clientOptions = (budget: boolean): NonNullable<AuthorizationServerOptions['clients']> => ({
    allowPrivateNetwork: true,
    fetchOptions: { ca: ca.caCert, resolver: fuzzResolver, timeoutMs: 3000 },
    cache: { maxEntries: CACHE_ENTRIES },
    trustPolicy: {
      trusted: [url(documents.trusted?.path ?? '')],
      deny: ['denied.fuzz.test'],
    },
    ...(budget
      ? {}
      : {
          // Spread from `object` so the option type of either budget version accepts it (the
          // failure window may not exist yet); the fuzzer wants real fetches, not refusals.
          fetchBudget: {
            requestsPerMinute: 1_000_000,
            maxConcurrent: 64,
            ...({ failuresPerMinute: 1_000_000 } as object),
          },
        }),
  });
  const stores: Store[] = [];
  const makeServer = (issuer: string, budget: boolean): AuthorizationServer => {
    const store = createMemoryStore({ cacheMaxEntries: CACHE_ENTRIES });
    stores.push(store);
    return createAuthorizationServer({
      issuer,
      resources: [RESOURCE, OTHER_RESOURCE],
      scopesSupported: [...SCOPES],
      store,
      authenticator: devLogin(),
      logger,
      clients: clientOptions(budget),
      interactionLifetimeMs: LIFETIME_MS,
      // The fuzzer sends many requests naming a few client_ids: it tests the endpoints, not the limits.
      rateLimit: false,
    });
  };
  const as = makeServer(AS_ISSUER, false);
  const budget = makeServer(BUDGET_ISSUER, true);

  // The proxy in front of a real OpenID provider.
  const idp = await startUpstreamIdp({
    redirectUris: [`${UPSTREAM_ISSUER}/upstream/callback`],
    autoConsent: true,
  });
  const upstreamStore = createMemoryStore({ cacheMaxEntries: CACHE_ENTRIES });
  stores.push(upstreamStore);
  const upstream = createAuthorizationServer({
    issuer: UPSTREAM_ISSUER,
    rateLimit: false,
    resources: [RESOURCE],
    scopesSupported: [...SCOPES],
    store: upstreamStore,
    authenticator: createUpstreamAuthenticator({
      issuer: UPSTREAM_ISSUER,
      provider: oidcProvider({
        issuer: idp.issuer,
        clientId: idp.clientId,
        clientAuth: { method: 'client_secret_basic', clientSecret: idp.clientSecret ?? '' },
        timeoutMs: 3000,
      }),
      store: upstreamStore,
      encryptionKey: generateEncryptionKey(),
      logger,
    }),
    logger,
    clients: clientOptions(false),
    interactionLifetimeMs: LIFETIME_MS,
  });

  // The MCP server side.
  const verifier = createAccessTokenVerifier({
    issuer: AS_ISSUER,
    audience: RESOURCE,
    jwks: await as.context.signingKeys.publicJwks(),
  });
  const resourceMetadataUrl = protectedResourceMetadataUrl(RESOURCE);
  const resourceApp = new Hono<BearerAuthEnv>();
  protectedResourceMetadataRoute(
    resourceApp,
    protectedResourceMetadata({
      resource: RESOURCE,
      authorizationServers: [AS_ISSUER],
      scopesSupported: [...SCOPES],
    }),
  );
  resourceApp.use('/mcp', bearerAuth({ verifier, resourceMetadataUrl }));
  resourceApp.use('/mcp/write', bearerAuth({ verifier, resourceMetadataUrl, requiredScopes: ['mcp:write'] }));
  resourceApp.all('/mcp', (c) => c.json({ ok: true, client: c.get('auth').clientId }));
  resourceApp.all('/mcp/write', (c) => c.json({ ok: true, scopes: c.get('auth').scopes }));
  const bearer = createBearerAuthenticator({ verifier, resourceMetadataUrl, requiredScopes: ['mcp:tools'] });

  const clients: World['clients'] = {};
  for (const [alias, { document }] of Object.entries(documents)) {
    const entry = {
      clientId: document.client_id as string,
      redirectUris: document.redirect_uris as string[],
    };
    clients[alias] = entry;
    redirectUrisOf.set(entry.clientId, entry.redirectUris);
  }

  // A registered (DCR) client, on the main server and on the proxy.
  for (const [alias, server] of [
    ['dcr', as],
    ['upstream-dcr', upstream],
  ] as const) {
    const redirectUris = ['http://127.0.0.1/callback', 'https://dcr.fuzz.test/cb'];
    const response = await server.fetch(
      new Request(`${server.issuer}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          redirect_uris: redirectUris,
          client_name: 'Fuzz DCR client',
          application_type: 'native',
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        }),
      }),
    );
    if (response.status !== 201) throw new Error(`fuzz world: /register: ${response.status}`);
    const clientId = ((await response.json()) as { client_id: string }).client_id;
    clients[alias] = { clientId, redirectUris };
    redirectUrisOf.set(clientId, redirectUris);
  }

  const pools: World['pools'] = {
    codes: [],
    keyCodes: [],
    access: [],
    refresh: [],
    interactions: [],
    pending: [],
    approved: [],
    session: '',
  };
  const replenish = async () => {
    host.hits.clear(); // the host counts requests per path; nothing here reads the counts
    const next = await makePools(as, upstream, clients);
    Object.assign(pools, next);
  };
  await replenish();
  const asKey = await as.context.signingKeys.signingKey();
  const logoId = createHash('sha256').update(url('/logo.png')).digest('base64url');

  return {
    ca,
    host,
    idp,
    servers: { as, budget, upstream },
    resourceApp,
    bearer,
    originOf: (target) =>
      ({
        as: AS_ISSUER,
        budget: BUDGET_ISSUER,
        upstream: UPSTREAM_ISSUER,
        resource: RESOURCE_ORIGIN,
        bearer: RESOURCE_ORIGIN,
      })[target],
    clients,
    redirectUrisOf,
    serveDocument,
    keys: { client: clientKey, stranger: strangerKey, as: KeyObject.from(asKey.key as CryptoKey) },
    asKid: asKey.kid,
    logoId,
    pools,
    replenish,
    logs,
    async close() {
      for (const server of [as, budget, upstream]) await server.close();
      for (const store of stores) await store.close();
      await idp.close();
      await host.close();
      documentServer.closeAllConnections();
      await new Promise<void>((resolve) => documentServer.close(() => resolve()));
      ca.dispose();
    },
  };
}

/** Makes fresh pools through the real endpoints: codes, tokens, open consent pages, proxy sign-ins. */
async function makePools(
  as: AuthorizationServer,
  upstream: AuthorizationServer,
  clients: World['clients'],
): Promise<World['pools']> {
  const publicId = clients.public?.clientId ?? '';
  const codes: CodeRecord[] = [];
  const interactions: InteractionRecord[] = [];
  const consentFor = async (clientId: string, redirectUri: string, challenge: string) => {
    const response = await as.fetch(
      new Request(
        authorizeUrl(AS_ISSUER, {
          response_type: 'code',
          client_id: clientId,
          redirect_uri: redirectUri,
          code_challenge: challenge,
          code_challenge_method: 'S256',
          state: randomBytes(8).toString('base64url'),
          resource: RESOURCE,
          scope: 'mcp:tools mcp:read',
        }),
      ),
    );
    return readConsentPage(response, clientId);
  };
  for (let index = 0; index < 32; index++) {
    const clientId = index % 3 === 2 ? (clients.pkjwt?.clientId ?? '') : publicId;
    const redirectUri = `http://127.0.0.1:${51000 + index}/callback`;
    const { verifier, challenge } = pkce();
    const page = await consentFor(clientId, redirectUri, challenge);
    const response = await as.fetch(consentPost(AS_ISSUER, page));
    const location = response.headers.get('location');
    const code = location === null ? null : new URL(location).searchParams.get('code');
    if (code === null) throw new Error(`fuzz world: consent gave no code: ${response.status}`);
    codes.push({ code, verifier, redirectUri, clientId });
  }
  for (let index = 0; index < 12; index++) {
    interactions.push(
      await consentFor(publicId, `http://127.0.0.1:${52000 + index}/callback`, pkce().challenge),
    );
  }
  // The trusted client's consent page fetches (and caches) its logo.
  await consentFor(clients.trusted?.clientId ?? '', 'http://localhost:53000/cb', pkce().challenge);

  // Eight public codes become tokens; the other codes stay for the fuzzer to redeem.
  const access: string[] = [];
  const refresh: string[] = [];
  const exchanged = codes.filter((code) => code.clientId === publicId).slice(0, 8);
  for (const code of exchanged) {
    const response = await as.fetch(
      new Request(`${AS_ISSUER}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: code.code,
          code_verifier: code.verifier,
          redirect_uri: code.redirectUri,
          client_id: code.clientId,
          resource: RESOURCE,
        }),
      }),
    );
    const body = (await response.json()) as { access_token?: string; refresh_token?: string };
    if (body.access_token === undefined || body.refresh_token === undefined) {
      throw new Error(`fuzz world: token exchange failed: ${JSON.stringify(body)}`);
    }
    access.push(body.access_token);
    refresh.push(body.refresh_token);
  }

  // The proxy: sign-ins in flight, approved interactions, real callbacks, one session.
  const pending: PendingRecord[] = [];
  const approved: InteractionRecord[] = [];
  const upstreamClient = clients['upstream-dcr']?.clientId ?? '';
  for (let index = 0; index < 10; index++) {
    const page = await readConsentPage(
      await upstream.fetch(
        new Request(
          authorizeUrl(UPSTREAM_ISSUER, {
            response_type: 'code',
            client_id: upstreamClient,
            redirect_uri: `http://127.0.0.1:${54000 + index}/callback`,
            code_challenge: pkce().challenge,
            code_challenge_method: 'S256',
            state: `s${index}`,
            resource: RESOURCE,
          }),
        ),
      ),
      'the proxy',
    );
    const response = await upstream.fetch(consentPost(UPSTREAM_ISSUER, page));
    const location = response.headers.get('location');
    const state = location === null ? null : new URL(location).searchParams.get('state');
    if (location === null || state === null) {
      throw new Error(`fuzz world: the proxy did not send the browser upstream: ${response.status}`);
    }
    approved.push(page);
    const record: PendingRecord = { state, bind: firstCookie(response) };
    if (index < 4) {
      const callback = await completeUpstreamLogin(location, { login: `fuzz-user-${index}` });
      record.callbackQuery = callback.search.slice(1);
    }
    pending.push(record);
  }
  // The first real callback completes: a session cookie for the fuzzer.
  const first = pending[0];
  const finished = await upstream.fetch(
    new Request(`${UPSTREAM_ISSUER}/upstream/callback?${first?.callbackQuery}`, {
      headers: { cookie: first?.bind ?? '' },
    }),
  );
  const session = finished.headers
    .getSetCookie()
    .map((line) => line.split(';')[0] ?? '')
    .find((pair) => pair.startsWith('cimd_session='));
  if (finished.status !== 303 || session === undefined) {
    throw new Error(`fuzz world: the proxy's callback did not sign in: ${finished.status}`);
  }
  const unused = codes.filter((code) => code.clientId === publicId && !exchanged.includes(code));
  const keyCodes = codes.filter((code) => code.clientId !== publicId);
  return { codes: unused, keyCodes, access, refresh, interactions, pending, approved, session };
}
