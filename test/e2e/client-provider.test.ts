/**
 * Our client against our server, end to end on loopback: `connect()` (the CIMD client provider)
 * signs in to a real SDK MCP server (McpServer + StreamableHTTPServerTransport on Express, behind
 * our `requireBearer` and publishing protected-resource metadata) through our authorization
 * server (`createAuthorizationServer`, memory store, development login, served by
 * @hono/node-server on 127.0.0.1). The client documents and the agent's JWK Set are served by
 * `serveClientMetadata` on an HTTPS loopback host with a test CA; the served JWK Set can be
 * swapped while the test runs.
 *
 * The "browser" is a function given as `onAuthorizationUrl`: it GETs the authorization URL,
 * approves on the consent page (its hidden fields and the CSRF cookie) and follows the 303 to the
 * provider's loopback callback. It counts sign-ins: the SDK silently falls back to a new sign-in
 * when a refresh fails, so "no new sign-in" is how a test knows every refresh worked.
 *
 * Access tokens live 2 s (and the MCP server allows no clock skew), so refreshes really happen.
 * The full rotation (stage, publish, promote, retire) runs while a client calls a tool every
 * 50 ms; not one call may fail and no new sign-in may be needed (PKJ-17, CIMD-AS-20: the refresh
 * family re-binds to the new key before the old one leaves the JWK Set).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import express, { type RequestHandler } from 'express';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConnectOptions, connect } from '../../src/client/connect.js';
import { CimdOAuthClientProvider } from '../../src/client/provider.js';
import { createClientMetadata } from '../../src/document/create.js';
import { createSafeFetcher, JWKS_MAX_BYTES, type SafeFetcher } from '../../src/fetch/index.js';
import { type ClientMetadataHandler, serveClientMetadata } from '../../src/host/index.js';
import { isKeySetError } from '../../src/keys/errors.js';
import {
  createAssertionSigner,
  createKeySet,
  fetchPublishedJwks,
  generateClientKey,
  type KeySet,
  previousKeys,
  promoteNextKey,
  publicJwks,
  retireAfter,
  retirePreviousKeys,
  signClientAssertion,
  stageKey,
} from '../../src/keys/index.js';
import { sha256Base64url } from '../../src/server/crypto.js';
import { protectedResourceMetadataRouter, requireBearer } from '../../src/server/express.js';
import {
  type AuthorizationServer,
  createAccessTokenVerifier,
  createAuthorizationServer,
  devLogin,
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
} from '../../src/server/index.js';
import { createMemoryStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/store.js';
import { approveAuthorization } from '../helpers/approve.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';

const SCOPE = 'mcp:tools';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Access tokens live 2 s: whole seconds, so a fresh token is good for 1 to 2 s. */
const ACCESS_TOKEN_LIFETIME_MS = 2000;
/** How long the authorization server keeps a fetched JWK Set at most (and the host's max-age). */
const JWKS_CACHE_MAX_MS = 1000;

/** The `code` of the KeySetError `action` throws (or `undefined` when it does not throw one). */
function keySetErrorCode(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isKeySetError(error) ? error.code : `not a KeySetError: ${String(error)}`;
  }
  return undefined;
}

/** The `kid`s of a served JWK Set. */
function kidsOf(jwks: unknown): string[] {
  return ((jwks as { keys: { kid: string }[] }).keys ?? []).map((key) => key.kid);
}

/**
 * @hono/node-server replaces the global `Request` and `Response` by default, and the MCP SDK's
 * client tells an error response from its body with `instanceof Response`: the client and the
 * servers share this process, so keep Node's own globals.
 */
const NATIVE_GLOBALS = { overrideGlobalObjects: false } as const;

/** The user agent of the test's own fetches of the served JWK Set (the host does not count them). */
const TEST_USER_AGENT = 'mcp-cimd-e2e-test';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 25 ms until it holds; fails with `what` after `timeoutMs`. */
async function until(what: string, condition: () => boolean, timeoutMs = 6000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

async function listenHttp(): Promise<{ server: Server; origin: string }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** One stateless MCP server per request, with `whoami` (the token's client and scopes) and `echo`. */
const mcpHandler: RequestHandler = async (req, res) => {
  const server = new McpServer({ name: 'e2e-client-provider', version: '1.0.0' });
  server.registerTool(
    'whoami',
    { description: 'Reports the client and scopes of the access token' },
    (extra) => ({
      content: [
        {
          type: 'text',
          text: JSON.stringify({ clientId: extra.authInfo?.clientId, scopes: extra.authInfo?.scopes }),
        },
      ],
    }),
  );
  server.registerTool('echo', { description: 'Echoes its input' }, () => ({
    content: [{ type: 'text', text: 'echo' }],
  }));
  const transport = new StreamableHTTPServerTransport({});
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
};

/** A token request the authorization server answered. */
interface TokenRequest {
  clientId: string | null;
  grant: string;
  /** The `kid` of the client assertion, for `private_key_jwt`. */
  kid: string | undefined;
  status: number;
  error: string | undefined;
  at: number;
}

/** The HTTPS document host: serveClientMetadata handlers, swappable, and a log of JWK Set fetches. */
interface DocumentHost {
  origin: string;
  /** Serves (or replaces) the handler for a document's path. */
  serve(handler: ClientMetadataHandler): void;
  /** When each JWK Set path was fetched (epoch ms), by path; the test's own fetches are not counted. */
  jwksFetches: Map<string, number[]>;
  close(): Promise<void>;
}

async function startDocumentHost(ca: TestCa): Promise<DocumentHost> {
  const handlers = new Map<string, ClientMetadataHandler>();
  const jwksFetches = new Map<string, number[]>();
  const server = createHttpsServer(
    { cert: ca.cert, key: ca.key },
    getRequestListener(async (request) => {
      const { pathname } = new URL(request.url);
      for (const handler of handlers.values()) {
        if (handler.jwksPath === pathname && request.headers.get('user-agent') !== TEST_USER_AGENT) {
          jwksFetches.set(pathname, [...(jwksFetches.get(pathname) ?? []), Date.now()]);
        }
        const response = await handler(request);
        if (response !== undefined) return response;
      }
      return new Response('not found', { status: 404 });
    }, NATIVE_GLOBALS),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    origin: `https://localhost:${(server.address() as AddressInfo).port}`,
    serve: (handler) => handlers.set(handler.documentPath, handler),
    jwksFetches,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Env {
  ca: TestCa;
  host: DocumentHost;
  store: Store;
  as: AuthorizationServer;
  asServer: Server;
  issuer: string;
  mcpServer: Server;
  resource: string;
  tokenRequests: TokenRequest[];
  fetcher: SafeFetcher;
}

let env: Env;

beforeAll(async () => {
  const ca = createTestCa();
  const host = await startDocumentHost(ca);
  const mcp = await listenHttp();
  const resource = `${mcp.origin}/mcp`;
  const asListener = await listenHttp();
  const issuer = asListener.origin;
  const store = createMemoryStore();
  const as = createAuthorizationServer({
    issuer,
    resources: [resource],
    store,
    authenticator: devLogin(),
    clients: { allowPrivateNetwork: true, fetchOptions: { ca: ca.caCert } },
    accessTokenLifetimeMs: ACCESS_TOKEN_LIFETIME_MS,
    // The server refetches a client's JWK Set after at most a second, so the test sees it notice
    // a published and a retired key; the unknown-kid refetch keeps its 30 s default cooldown.
    clientAssertions: { jwksCacheBounds: { minTtlMs: 0, maxTtlMs: JWKS_CACHE_MAX_MS } },
  });

  const tokenRequests: TokenRequest[] = [];
  asListener.server.on(
    'request',
    getRequestListener(async (request) => {
      if (request.method !== 'POST' || new URL(request.url).pathname !== '/token') return as.fetch(request);
      const form = new URLSearchParams(await request.clone().text());
      const assertion = form.get('client_assertion');
      const response = await as.fetch(request);
      const body = response.ok ? undefined : ((await response.clone().json()) as { error?: string });
      tokenRequests.push({
        clientId: form.get('client_id'),
        grant: form.get('grant_type') ?? '',
        kid: assertion === null ? undefined : decodeProtectedHeader(assertion).kid,
        status: response.status,
        error: body?.error,
        at: Date.now(),
      });
      return response;
    }, NATIVE_GLOBALS),
  );

  const app = express();
  app.use(
    protectedResourceMetadataRouter(
      protectedResourceMetadata({ resource, authorizationServers: [issuer], scopesSupported: [SCOPE] }),
    ),
  );
  app.use(express.json());
  const guard = requireBearer({
    verifier: createAccessTokenVerifier({
      issuer,
      audience: resource,
      jwks: new URL(`${issuer}/jwks`),
      clockSkewMs: 0,
    }),
    resourceMetadataUrl: protectedResourceMetadataUrl(resource),
    requiredScopes: [SCOPE],
  });
  app.post('/mcp', guard, mcpHandler);
  app.get('/mcp', (_req, res) => {
    res.status(405).set('allow', 'POST').end();
  });
  mcp.server.on('request', app);

  env = {
    ca,
    host,
    store,
    as,
    asServer: asListener.server,
    issuer,
    mcpServer: mcp.server,
    resource,
    tokenRequests,
    fetcher: createSafeFetcher({
      allowPrivateNetwork: true,
      ca: ca.caCert,
      maxBytes: JWKS_MAX_BYTES,
      userAgent: TEST_USER_AGENT,
    }),
  };
});

afterAll(async () => {
  if (env === undefined) return;
  await Promise.all([closeServer(env.asServer), closeServer(env.mcpServer)]);
  await env.fetcher.close();
  await env.as.close();
  await env.store.close();
  await env.host.close();
  env.ca.dispose();
});

/** The user, in a browser: approves every authorization request it is handed, and counts them. */
class User {
  signIns = 0;

  readonly approve = async (authorizationUrl: URL): Promise<void> => {
    this.signIns += 1;
    const { callback, status } = await approveAuthorization(authorizationUrl);
    expect(callback.hostname).toBe('127.0.0.1');
    expect(callback.searchParams.get('iss')).toBe(env.issuer);
    expect(status, 'the provider accepted the callback').toBe(200);
  };
}

/** Serves a public document at `path`; returns its URL (the client_id). */
function servePublicDocument(path: string): string {
  const clientId = `${env.host.origin}${path}`;
  const { document } = createClientMetadata({
    clientId,
    clientName: 'E2E public client',
    redirectUris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
    applicationType: 'native',
    allowPrivateNetwork: true,
  });
  env.host.serve(serveClientMetadata({ document }));
  return clientId;
}

/** A private_key_jwt client whose JWK Set is served from the key set it is given. */
interface Agent {
  clientId: string;
  jwksUri: string;
  /** Serves the public JWK Set of `keySet` at `jwksUri` from now on. */
  publish(keySet: KeySet): void;
}

function serveAgent(path: string, keySet: KeySet): Agent {
  const clientId = `${env.host.origin}${path}/client.json`;
  const jwksUri = `${env.host.origin}${path}/jwks.json`;
  const { document } = createClientMetadata({
    clientId,
    clientName: 'E2E agent (private_key_jwt)',
    redirectUris: ['http://127.0.0.1/callback'],
    applicationType: 'native',
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwksUri,
    signingAlg: 'ES256',
    allowPrivateNetwork: true,
  });
  const publish = (set: KeySet) =>
    env.host.serve(
      serveClientMetadata({
        document,
        jwks: publicJwks(set) as unknown as Record<string, unknown>,
        cacheControl: `public, max-age=${JWKS_CACHE_MAX_MS / 1000}`,
      }),
    );
  publish(keySet);
  return { clientId, jwksUri, publish };
}

async function signedIn(
  clientId: string,
  user: User,
  options: Partial<ConnectOptions> = {},
): Promise<Client> {
  return connect(env.resource, {
    clientMetadataUrl: clientId,
    onAuthorizationUrl: user.approve,
    allowPrivateNetwork: true,
    fetchOptions: { ca: env.ca.caCert },
    callbackTimeoutMs: 10_000,
    ...options,
  });
}

async function whoami(client: Client): Promise<{ clientId: string; scopes: string[] }> {
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  expect(result.isError).toBeFalsy();
  const [first] = result.content as { type: string; text: string }[];
  return JSON.parse(first?.text ?? '{}') as { clientId: string; scopes: string[] };
}

function tokenRequestsOf(clientId: string): TokenRequest[] {
  return env.tokenRequests.filter((request) => request.clientId === clientId);
}

/** A key set for a private_key_jwt client with short timings, so a rotation fits in a test. */
async function newKeySet(jwksUri: string): Promise<KeySet> {
  return createKeySet(await generateClientKey('ES256'), {
    jwksUri,
    // Assertions live 1 s and the authorization server keeps a JWK Set at most 1 s, so a retired
    // key's grace period (demotion + 1 s + 1 s) passes within the test, in real time.
    settings: { maxAssertionLifetimeMs: 1000, maxJwksCacheMs: JWKS_CACHE_MAX_MS },
  });
}

describe('connect() against our authorization server and a real MCP server', () => {
  it('a public CIMD document: signs in once, lists the tools and calls one', async () => {
    const clientId = servePublicDocument('/public-a/client.json');
    const user = new User();
    const client = await signedIn(clientId, user);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['echo', 'whoami']);
      expect(await whoami(client)).toEqual({ clientId, scopes: [SCOPE] });
      expect(user.signIns).toBe(1);
      expect(tokenRequestsOf(clientId)[0]).toMatchObject({
        grant: 'authorization_code',
        kid: undefined,
        status: 200,
      });
    } finally {
      await client.close();
    }
  });

  it('a private_key_jwt document with a key set from mcp-cimd/keys: signs in with an assertion and calls a tool', async () => {
    const keySet = await newKeySet(`${env.host.origin}/agent-b/jwks.json`);
    const agent = serveAgent('/agent-b', keySet);
    const user = new User();
    const client = await signedIn(agent.clientId, user, { signer: await createAssertionSigner(keySet) });
    try {
      expect(await whoami(client)).toEqual({ clientId: agent.clientId, scopes: [SCOPE] });
      expect(user.signIns).toBe(1);
      expect(tokenRequestsOf(agent.clientId)[0]).toMatchObject({
        grant: 'authorization_code',
        kid: keySet.keys[0]?.kid,
        status: 200,
      });
    } finally {
      await client.close();
    }
  });

  it("a code exchange refused with invalid_client fails with the server's reason (not a lost PKCE verifier)", async () => {
    const published = await newKeySet(`${env.host.origin}/agent-e/jwks.json`);
    const agent = serveAgent('/agent-e', published);
    const unpublished = await newKeySet(`${env.host.origin}/agent-e/jwks.json`);
    const user = new User();
    const failure = await signedIn(agent.clientId, user, {
      signer: await createAssertionSigner(unpublished),
    }).then(
      async (client) => {
        await client.close();
        return undefined;
      },
      (error: unknown) => error as Error,
    );
    expect(user.signIns).toBe(1);
    expect(tokenRequestsOf(agent.clientId).map((request) => request.error)).toContain('invalid_client');
    expect(failure?.message).toBe(
      "the client_assertion's kid is not in the client's key set; publish the key before signing with it",
    );
  });

  it('refresh: once the access token expires, the next call refreshes (no new sign-in) and succeeds', async () => {
    const clientId = servePublicDocument('/public-c/client.json');
    const keySet = await newKeySet(`${env.host.origin}/agent-c/jwks.json`);
    const kid = keySet.keys[0]?.kid;
    const agent = serveAgent('/agent-c', keySet);
    const user = new User();
    const publicClient = await signedIn(clientId, user);
    try {
      await whoami(publicClient);
      const agentClient = await signedIn(agent.clientId, user, {
        signer: await createAssertionSigner(keySet),
      });
      try {
        await whoami(agentClient);
        const expiredAfter = Date.now();
        await sleep(ACCESS_TOKEN_LIFETIME_MS + 50); // both access tokens have expired now
        expect(await whoami(publicClient)).toEqual({ clientId, scopes: [SCOPE] });
        expect(await whoami(agentClient)).toEqual({ clientId: agent.clientId, scopes: [SCOPE] });
        expect(user.signIns).toBe(2); // one each, never again
        for (const [id, expectedKid] of [
          [clientId, undefined],
          [agent.clientId, kid],
        ] as const) {
          const requests = tokenRequestsOf(id);
          expect(requests[0]).toMatchObject({ grant: 'authorization_code', kid: expectedKid, status: 200 });
          expect(requests.filter((r) => r.grant === 'refresh_token' && r.at > expiredAfter)).toMatchObject([
            { kid: expectedKid, status: 200 },
          ]);
          expect(requests.every((r) => r.status === 200)).toBe(true);
        }
      } finally {
        await agentClient.close();
      }
    } finally {
      await publicClient.close();
    }
  });

  it('a full key rotation (stage, publish, promote, retire) while the client keeps calling a tool: no call fails', async () => {
    let keySet = await newKeySet(`${env.host.origin}/agent-d/jwks.json`);
    const agent = serveAgent('/agent-d', keySet);
    const oldKey = keySet.keys[0]!;
    // The client signs with whatever key is current: the signer is swapped after the promotion.
    let signer = await createAssertionSigner(keySet);
    const user = new User();
    const provider = new CimdOAuthClientProvider({
      serverUrl: env.resource,
      clientMetadataUrl: agent.clientId,
      signer: { alg: 'ES256', sign: (claims) => signer.sign(claims) },
      onAuthorizationUrl: user.approve,
      allowPrivateNetwork: true,
      fetchOptions: { ca: env.ca.caCert },
    });
    const client = await connect(env.resource, { provider });
    const requests = () => tokenRequestsOf(agent.clientId);
    const refreshes = (kid: string, after = 0) =>
      requests().filter(
        (r) => r.grant === 'refresh_token' && r.kid === kid && r.status === 200 && r.at > after,
      );
    const jwksFetchesAfter = (at: number) =>
      (env.host.jwksFetches.get('/agent-d/jwks.json') ?? []).filter((time) => time > at);
    const published = () => fetchPublishedJwks(keySet, { fetcher: env.fetcher });

    const loop = { calls: 0, failures: [] as unknown[], stop: false };
    const calling = (async () => {
      while (!loop.stop) {
        try {
          const result = await client.callTool({ name: 'whoami', arguments: {} });
          if (result.isError) loop.failures.push(result);
          else loop.calls += 1;
        } catch (error) {
          loop.failures.push(error);
        }
        await sleep(50);
      }
    })();

    let newKid = '';
    try {
      await until('a refresh with the first key', () => refreshes(oldKey.kid).length >= 1);

      // 1. Stage: a next key joins the key set. It is not served yet, so promote refuses it.
      keySet = stageKey(keySet, await generateClientKey('ES256'));
      newKid = keySet.keys.find((key) => key.state === 'next')?.kid ?? '';
      expect(keySetErrorCode(() => promoteNextKey(keySet, { published: undefined }))).toBe(
        'ERR_KEYS_NOT_PUBLISHED',
      );
      const servedBefore = await published();
      expect(keySetErrorCode(() => promoteNextKey(keySet, { published: servedBefore }))).toBe(
        'ERR_KEYS_NOT_PUBLISHED',
      );

      // 2. Publish: the host serves current + next. Wait until the authorization server has
      // fetched the new set (it keeps one at most a second), so it knows the next key before
      // the key signs anything.
      agent.publish(keySet);
      const publishedAt = Date.now();
      expect(kidsOf(await published())).toEqual([oldKey.kid, newKid]);
      await until(
        'the authorization server to fetch the published set',
        () => jwksFetchesAfter(publishedAt).length >= 1,
      );

      // 3. Promote: allowed now that the next key is served; the client signs with it from now on.
      keySet = promoteNextKey(keySet, { published: await published() });
      signer = await createAssertionSigner(keySet);
      expect(signer.kid).toBe(newKid);
      const promotedAt = Date.now();
      const [previous] = previousKeys(keySet);
      expect(previous?.kid).toBe(oldKey.kid);
      expect(keySetErrorCode(() => retirePreviousKeys(keySet))).toBe('ERR_KEYS_GRACE_PERIOD');

      // 4. Wait: refreshes signed with the new key re-bind the refresh family to it, and the
      // previous key's grace period (assertion lifetime + JWK Set cache time) passes.
      await until('a refresh signed with the new key', () => refreshes(newKid, promotedAt).length >= 1);
      const retireAt = retireAfter(keySet, previous!).getTime();
      await until('the grace period to pass', () => Date.now() >= retireAt);

      // 5. Retire: the previous key leaves the key set and the served JWK Set; the authorization
      // server notices within its cache time, and refreshes go on (the family is on the new key).
      const retirement = retirePreviousKeys(keySet);
      expect(retirement.retired).toEqual([oldKey.kid]);
      keySet = retirement.keySet;
      agent.publish(keySet);
      const retiredAt = Date.now();
      expect(kidsOf(await published())).toEqual([newKid]);
      await until(
        'the authorization server to fetch the set without the retired key',
        () => jwksFetchesAfter(retiredAt).length >= 1,
      );
      const refetchedAt = jwksFetchesAfter(retiredAt)[0] ?? retiredAt;
      await until(
        'a refresh after the server saw the retired set',
        () => refreshes(newKid, refetchedAt).length >= 1,
      );
    } finally {
      loop.stop = true;
      await calling;
      await client.close();
    }

    expect(loop.failures).toEqual([]);
    expect(loop.calls).toBeGreaterThanOrEqual(40);
    expect(user.signIns, 'every refresh worked: the client never had to sign in again').toBe(1);
    expect(requests().filter((request) => request.status !== 200)).toEqual([]);
    expect(refreshes(oldKey.kid).length).toBeGreaterThanOrEqual(1);
    expect(refreshes(newKid).length).toBeGreaterThanOrEqual(2);

    // The refresh family is bound to the new key now (PKJ-17).
    const refreshToken = (await provider.tokens())?.refresh_token ?? '';
    const family = await env.store.findRefreshFamily(await sha256Base64url(refreshToken));
    expect(family?.keyThumbprint).toBe(newKid);

    // The retired key no longer authenticates the client.
    const response = await fetch(`${env.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: agent.clientId,
        client_assertion_type: JWT_BEARER,
        client_assertion: await signClientAssertion({
          key: oldKey,
          clientId: agent.clientId,
          audience: env.issuer,
        }),
      }),
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_client');
  }, 30_000);
});
