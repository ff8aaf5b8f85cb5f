/**
 * Agents end to end on loopback: a CIMD agent document (grant_types client_credentials,
 * private_key_jwt, jwks_uri) and its JWK Set served over HTTPS with the test CA, keys from a
 * `cimd keys` key set (mcp-cimd/keys), our authorization server allowing the agent's host, and a
 * real SDK MCP server behind `requireBearer`. `connect({ grant: 'client_credentials' })` gets a
 * token with no user and no browser, and calls a tool; access tokens live 2 s, so new tokens are
 * requested all along, including across a full key rotation (stage, publish, promote, retire)
 * while the agent keeps calling a tool: no call fails.
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
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/connect.js';
import { createClientMetadata } from '../../src/document/create.js';
import { createSafeFetcher, JWKS_MAX_BYTES, type SafeFetcher } from '../../src/fetch/index.js';
import { type ClientMetadataHandler, serveClientMetadata } from '../../src/host/index.js';
import {
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
import { createTestCa, type TestCa } from '../helpers/test-ca.js';

const SCOPE = 'mcp:tools';
const ACCESS_TOKEN_LIFETIME_MS = 2000;
const JWKS_CACHE_MAX_MS = 1000;
const NATIVE_GLOBALS = { overrideGlobalObjects: false } as const;
const TEST_USER_AGENT = 'mcp-cimd-e2e-test';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(what: string, condition: () => boolean, timeoutMs = 8000): Promise<void> {
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

/** The client capabilities of every `initialize` request, in order. */
const initializeCapabilities: unknown[] = [];

const mcpHandler: RequestHandler = async (req, res) => {
  const body = req.body as { method?: string; params?: { capabilities?: unknown } } | undefined;
  if (body?.method === 'initialize') initializeCapabilities.push(body.params?.capabilities);
  const server = new McpServer({ name: 'e2e-agents', version: '1.0.0' });
  server.registerTool('whoami', { description: 'The client and scopes of the access token' }, (extra) => ({
    content: [
      {
        type: 'text',
        text: JSON.stringify({ clientId: extra.authInfo?.clientId, scopes: extra.authInfo?.scopes }),
      },
    ],
  }));
  const transport = new StreamableHTTPServerTransport({});
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
};

interface TokenRequest {
  clientId: string | null;
  grant: string;
  kid: string | undefined;
  status: number;
  error: string | undefined;
  accessToken: string | undefined;
  at: number;
}

interface Env {
  ca: TestCa;
  origin: string;
  handlers: Map<string, ClientMetadataHandler>;
  jwksFetches: Map<string, number[]>;
  hostServer: ReturnType<typeof createHttpsServer>;
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
  const handlers = new Map<string, ClientMetadataHandler>();
  const jwksFetches = new Map<string, number[]>();
  const hostServer = createHttpsServer(
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
  hostServer.listen(0, '127.0.0.1');
  await once(hostServer, 'listening');
  const origin = `https://localhost:${(hostServer.address() as AddressInfo).port}`;

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
    clientAssertions: { jwksCacheBounds: { minTtlMs: 0, maxTtlMs: JWKS_CACHE_MAX_MS } },
    // The agents of the document host (a host pattern), and nobody else.
    clientCredentials: { allow: ['localhost'] },
  });
  const tokenRequests: TokenRequest[] = [];
  asListener.server.on(
    'request',
    getRequestListener(async (request) => {
      if (request.method !== 'POST' || new URL(request.url).pathname !== '/token') return as.fetch(request);
      const form = new URLSearchParams(await request.clone().text());
      const assertion = form.get('client_assertion');
      const response = await as.fetch(request);
      const body = (await response.clone().json()) as { error?: string; access_token?: string };
      tokenRequests.push({
        clientId: form.get('client_id'),
        grant: form.get('grant_type') ?? '',
        kid: assertion === null ? undefined : decodeProtectedHeader(assertion).kid,
        status: response.status,
        error: body.error,
        accessToken: body.access_token,
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
    origin,
    handlers,
    jwksFetches,
    hostServer,
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
  await new Promise<void>((resolve) => {
    env.hostServer.closeAllConnections();
    env.hostServer.close(() => resolve());
  });
  await env.fetcher.close();
  await env.as.close();
  await env.store.close();
  env.ca.dispose();
});

interface Agent {
  clientId: string;
  jwksPath: string;
  publish(keySet: KeySet): void;
}

/** Serves an agent document (client_credentials, private_key_jwt, jwks_uri) and its JWK Set. */
function serveAgent(path: string, keySet: KeySet, extra: { grantTypes?: string[] } = {}): Agent {
  const clientId = `${env.origin}${path}/client.json`;
  const jwksUri = `${env.origin}${path}/jwks.json`;
  const { document } = createClientMetadata({
    clientId,
    clientName: 'E2E agent',
    redirectUris: ['http://127.0.0.1/callback'],
    applicationType: 'native',
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwksUri,
    signingAlg: 'ES256',
    grantTypes: extra.grantTypes ?? ['client_credentials'],
    scope: SCOPE,
    allowPrivateNetwork: true,
  });
  const publish = (set: KeySet) => {
    const handler = serveClientMetadata({
      document,
      jwks: publicJwks(set) as unknown as Record<string, unknown>,
      cacheControl: `public, max-age=${JWKS_CACHE_MAX_MS / 1000}`,
    });
    env.handlers.set(handler.documentPath, handler);
  };
  publish(keySet);
  return { clientId, jwksPath: `${path}/jwks.json`, publish };
}

async function newKeySet(jwksUri: string): Promise<KeySet> {
  return createKeySet(await generateClientKey('ES256'), {
    jwksUri,
    settings: { maxAssertionLifetimeMs: 1000, maxJwksCacheMs: JWKS_CACHE_MAX_MS },
  });
}

async function whoami(client: Client): Promise<{ clientId: string; scopes: string[] }> {
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  expect(result.isError).toBeFalsy();
  const [first] = result.content as { type: string; text: string }[];
  return JSON.parse(first?.text ?? '{}') as { clientId: string; scopes: string[] };
}

const requestsOf = (clientId: string) => env.tokenRequests.filter((r) => r.clientId === clientId);

describe("connect({ grant: 'client_credentials' }): an agent with no user", () => {
  it('gets a token with a private_key_jwt assertion (no browser) and calls a tool; sub = client_id', async () => {
    const keySet = await newKeySet(`${env.origin}/agent-a/jwks.json`);
    const agent = serveAgent('/agent-a', keySet);
    const client = await connect(env.resource, {
      grant: 'client_credentials',
      clientMetadataUrl: agent.clientId,
      signer: (claims) => signClientAssertion({ keySet, ...claims }),
      onAuthorizationUrl: () => {
        throw new Error('no browser for an agent');
      },
    });
    try {
      expect(await whoami(client)).toEqual({ clientId: agent.clientId, scopes: [SCOPE] });
      // The extension is declared in the client capabilities (MCP 2026-07-28).
      expect(initializeCapabilities.at(-1)).toMatchObject({
        extensions: { 'io.modelcontextprotocol/oauth-client-credentials': {} },
      });
      const [first] = requestsOf(agent.clientId);
      expect(first).toMatchObject({ grant: 'client_credentials', kid: keySet.keys[0]?.kid, status: 200 });
      const claims = decodeJwt(first?.accessToken ?? '');
      expect(claims.sub).toBe(agent.clientId);
      expect(claims.aud).toBe(env.resource);
    } finally {
      await client.close();
    }
  });

  it('a document without client_credentials in grant_types is refused (unauthorized_client), and connect says so', async () => {
    const keySet = await newKeySet(`${env.origin}/agent-b/jwks.json`);
    const agent = serveAgent('/agent-b', keySet, { grantTypes: ['authorization_code', 'refresh_token'] });
    const error = await connect(env.resource, {
      grant: 'client_credentials',
      clientMetadataUrl: agent.clientId,
      signer: (claims) => signClientAssertion({ keySet, ...claims }),
    }).then(
      async (client) => {
        await client.close();
        return undefined;
      },
      (caught: unknown) => caught as Error,
    );
    expect(error?.message).toMatch(/unauthorized_client/);
  });

  it('a full key rotation (stage, publish, promote, retire) while the agent keeps calling a tool: no call fails', async () => {
    let keySet = await newKeySet(`${env.origin}/agent-r/jwks.json`);
    const agent = serveAgent('/agent-r', keySet);
    const oldKey = keySet.keys[0]!;
    const oldKid = oldKey.kid;
    // The agent signs with the key set's current key at each token request (as `cimd connect
    // --key` rereads its key set file).
    const client = await connect(env.resource, {
      grant: 'client_credentials',
      clientMetadataUrl: agent.clientId,
      signer: (claims) => signClientAssertion({ keySet, ...claims }),
    });
    const granted = (kid: string, after = 0) =>
      requestsOf(agent.clientId).filter((r) => r.kid === kid && r.status === 200 && r.at > after);
    const jwksFetchesAfter = (at: number) =>
      (env.jwksFetches.get(agent.jwksPath) ?? []).filter((t) => t > at);
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
      await until('a second token with the first key', () => granted(oldKid).length >= 2);
      keySet = stageKey(keySet, await generateClientKey('ES256'));
      newKid = keySet.keys.find((key) => key.state === 'next')?.kid ?? '';
      agent.publish(keySet);
      const publishedAt = Date.now();
      await until('the server to fetch the published set', () => jwksFetchesAfter(publishedAt).length >= 1);

      keySet = promoteNextKey(keySet, { published: await published() });
      const promotedAt = Date.now();
      const [previous] = previousKeys(keySet);
      expect(previous?.kid).toBe(oldKid);
      await until('a token signed with the new key', () => granted(newKid, promotedAt).length >= 1);
      const retireAt = retireAfter(keySet, previous!).getTime();
      await until('the grace period to pass', () => Date.now() >= retireAt);

      const retirement = retirePreviousKeys(keySet);
      expect(retirement.retired).toEqual([oldKid]);
      keySet = retirement.keySet;
      agent.publish(keySet);
      const retiredAt = Date.now();
      await until('the server to fetch the retired set', () => jwksFetchesAfter(retiredAt).length >= 1);
      const refetchedAt = jwksFetchesAfter(retiredAt)[0] ?? retiredAt;
      await until(
        'a token after the server saw the retired set',
        () => granted(newKid, refetchedAt).length >= 1,
      );
    } finally {
      loop.stop = true;
      await calling;
      await client.close();
    }
    expect(loop.failures).toEqual([]);
    expect(loop.calls).toBeGreaterThanOrEqual(40);
    expect(requestsOf(agent.clientId).filter((r) => r.status !== 200)).toEqual([]);
    expect(requestsOf(agent.clientId).every((r) => r.grant === 'client_credentials')).toBe(true);

    // The retired key no longer gets a token.
    const oldAssertion = await signClientAssertion({
      key: oldKey,
      clientId: agent.clientId,
      audience: env.issuer,
    });
    const response = await fetch(`${env.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: oldAssertion,
      }),
    });
    expect(response.status).toBe(401);
  }, 40_000);
});
