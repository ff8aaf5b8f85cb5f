/**
 * End to end on loopback with an INDEPENDENT strict OAuth client (panva's oauth4webapi, not our
 * code): the authorization server served by @hono/node-server on 127.0.0.1, CIMD documents and a
 * JWKS on a real HTTPS loopback host (test CA), and a real MCP server (the SDK's McpServer +
 * StreamableHTTPServerTransport on Express) guarded by our `requireBearer`.
 *
 * Each client goes through discovery, /authorize (the dev login signs in; the consent page's form
 * is posted back with its CSRF cookie), the 303 back to its loopback redirect URI (RFC 9207 `iss`
 * checked by oauth4webapi), the code exchange, a refresh, a call to the MCP server with the SDK's
 * Client, and revocation: a public CIMD client, a private_key_jwt CIMD client and a DCR client.
 * A CIMD-only server has no registration endpoint.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import express, { type RequestHandler } from 'express';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { type HttpsHost, json, startHttpsHost } from '../helpers/https-host.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';

const INSECURE = { [oauth.allowInsecureRequests]: true } as const;
const SCOPE = 'mcp:tools';

/** A plain HTTP server on 127.0.0.1 with a free port. */
async function listen(): Promise<{ server: Server; origin: string }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** One stateless MCP server per request, with a `whoami` tool reporting the token's client and scopes. */
const mcpHandler: RequestHandler = async (req, res) => {
  const server = new McpServer({ name: 'e2e-protected-server', version: '1.0.0' });
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
  const transport = new StreamableHTTPServerTransport({});
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
};

/** The loopback callback listener of a native client: records the query of every request. */
interface Callback {
  server: Server;
  /** `http://127.0.0.1:<port>/callback` */
  redirectUri: string;
  last: URL | undefined;
}

async function startCallback(): Promise<Callback> {
  const { server, origin } = await listen();
  const callback: Callback = { server, redirectUri: `${origin}/callback`, last: undefined };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    callback.last = new URL(req.url ?? '/', origin);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('You can close this window.');
  });
  return callback;
}

interface Env {
  ca: TestCa;
  host: HttpsHost;
  store: Store;
  as: AuthorizationServer;
  asServer: Server;
  issuer: string;
  mcpServer: Server;
  resource: string;
  callback: Callback;
  metadata: oauth.AuthorizationServer;
}

let env: Env;

beforeAll(async () => {
  const ca = createTestCa();
  const host = await startHttpsHost(ca);

  const mcp = await listen();
  const resource = `${mcp.origin}/mcp`;
  const asListener = await listen();
  const issuer = asListener.origin;

  const store = createMemoryStore();
  const as = createAuthorizationServer({
    issuer,
    resources: [resource],
    store,
    authenticator: devLogin(),
    clients: { allowPrivateNetwork: true, fetchOptions: { ca: ca.caCert } },
  });
  asListener.server.on('request', getRequestListener(as.fetch));

  const resourceMetadataUrl = protectedResourceMetadataUrl(resource);
  const app = express();
  app.use(
    protectedResourceMetadataRouter(protectedResourceMetadata({ resource, authorizationServers: [issuer] })),
  );
  app.use(express.json());
  const guard = requireBearer({
    verifier: createAccessTokenVerifier({ issuer, audience: resource, jwks: new URL(`${issuer}/jwks`) }),
    resourceMetadataUrl,
    requiredScopes: [SCOPE],
  });
  app.post('/mcp', guard, mcpHandler);
  mcp.server.on('request', app);

  const callback = await startCallback();
  const response = await oauth.discoveryRequest(new URL(issuer), { algorithm: 'oauth2', ...INSECURE });
  const metadata = await oauth.processDiscoveryResponse(new URL(issuer), response);

  env = {
    ca,
    host,
    store,
    as,
    asServer: asListener.server,
    issuer,
    mcpServer: mcp.server,
    resource,
    callback,
    metadata,
  };
});

afterAll(async () => {
  if (env === undefined) return;
  await Promise.all([close(env.asServer), close(env.mcpServer), close(env.callback.server)]);
  await env.as.close();
  await env.store.close();
  await env.host.close();
  env.ca.dispose();
});

/** Fields of the consent form, and the cookies the consent page set. */
function consentForm(html: string, setCookies: string[]): { fields: Record<string, string>; cookie: string } {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[match[1] as string] = (match[2] as string).replace(/&amp;/g, '&').replace(/&quot;/g, '"');
  }
  const cookie = setCookies.map((line) => line.split(';')[0]).join('; ');
  return { fields, cookie };
}

/**
 * Drives /authorize as a browser would: GET with the dev login, approve on the consent page (the
 * form's hidden fields and the CSRF cookie), follow the 303 to the loopback callback. Returns the
 * callback URL the client's listener received.
 */
async function authorize(clientId: string, codeChallenge: string, state: string): Promise<URL> {
  const url = new URL(env.metadata.authorization_endpoint ?? '');
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: env.callback.redirectUri,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    state,
    scope: SCOPE,
    resource: env.resource,
  }).toString();
  let response = await fetch(url, { redirect: 'manual' });
  if (response.status === 200) {
    const html = await response.text();
    const { fields, cookie } = consentForm(html, response.headers.getSetCookie());
    expect(fields.interaction, 'the consent page has the interaction field').toBeDefined();
    expect(fields.csrf_token, 'the consent page has the CSRF field').toBeDefined();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? '/consent';
    response = await fetch(new URL(action, env.issuer), {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: env.issuer,
        cookie,
      },
      body: new URLSearchParams({ ...fields, decision: 'approve' }).toString(),
    });
  }
  expect(response.status, await response.clone().text()).toBe(303);
  const location = response.headers.get('location') ?? '';
  expect(location.startsWith(env.callback.redirectUri)).toBe(true);
  env.callback.last = undefined;
  const followed = await fetch(location);
  expect(followed.status).toBe(200);
  const received = env.callback.last as URL | undefined;
  expect(received).toBeDefined();
  return received as URL;
}

/** Calls the protected MCP server's `whoami` tool with the SDK Client and `accessToken`. */
async function whoami(accessToken: string): Promise<{ clientId: string; scopes: string[] }> {
  const client = new Client({ name: 'e2e-client', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(env.resource), {
    requestInit: { headers: { Authorization: `Bearer ${accessToken}` } },
  });
  await client.connect(transport);
  try {
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    const [first] = result.content as { type: string; text: string }[];
    return JSON.parse(first?.text ?? '{}') as { clientId: string; scopes: string[] };
  } finally {
    await client.close();
  }
}

/** Authorization code + PKCE through oauth4webapi; returns the processed token response. */
async function signIn(client: oauth.Client, auth: oauth.ClientAuth): Promise<oauth.TokenEndpointResponse> {
  const verifier = oauth.generateRandomCodeVerifier();
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);
  const state = oauth.generateRandomState();
  const callbackUrl = await authorize(client.client_id, challenge, state);
  expect(callbackUrl.searchParams.get('iss')).toBe(env.issuer);
  const params = oauth.validateAuthResponse(env.metadata, client, callbackUrl, state);
  const response = await oauth.authorizationCodeGrantRequest(
    env.metadata,
    client,
    auth,
    params,
    env.callback.redirectUri,
    verifier,
    { additionalParameters: { resource: env.resource }, ...INSECURE },
  );
  expect(response.headers.get('cache-control')).toBe('no-store');
  return oauth.processAuthorizationCodeResponse(env.metadata, client, response);
}

async function refresh(
  client: oauth.Client,
  auth: oauth.ClientAuth,
  refreshToken: string,
): Promise<oauth.TokenEndpointResponse> {
  const response = await oauth.refreshTokenGrantRequest(env.metadata, client, auth, refreshToken, {
    additionalParameters: { resource: env.resource },
    ...INSECURE,
  });
  return oauth.processRefreshTokenResponse(env.metadata, client, response);
}

async function revoke(client: oauth.Client, auth: oauth.ClientAuth, token: string): Promise<void> {
  const response = await oauth.revocationRequest(env.metadata, client, auth, token, INSECURE);
  await oauth.processRevocationResponse(response);
}

/**
 * Expects `promise` to reject with the OAuth error `error`: oauth4webapi's ResponseBodyError, or,
 * for a 401 `invalid_client` (which carries a `WWW-Authenticate` challenge), its
 * WWWAuthenticateChallengeError, whose response body is then checked too.
 */
async function expectOAuthFailure(promise: Promise<unknown>, error: string): Promise<void> {
  const failure = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (failure instanceof oauth.WWWAuthenticateChallengeError) {
    expect(failure.status).toBe(401);
    expect(failure.cause[0]?.parameters.error).toBe(error);
    expect(((await failure.response.json()) as { error: string }).error).toBe(error);
    return;
  }
  expect(failure).toBeInstanceOf(oauth.ResponseBodyError);
  expect((failure as oauth.ResponseBodyError).error).toBe(error);
}

/** The full life of a client's grant: sign in, MCP call, refresh (rotation), revoke. */
async function fullFlow(client: oauth.Client, auth: oauth.ClientAuth): Promise<void> {
  const tokens = await signIn(client, auth);
  expect(tokens.token_type).toBe('bearer');
  expect(tokens.scope).toBe(SCOPE);
  expect(tokens.refresh_token).toBeDefined();
  expect(decodeJwt(tokens.access_token)).toMatchObject({
    iss: env.issuer,
    aud: env.resource,
    client_id: client.client_id,
    scope: SCOPE,
  });
  expect(await whoami(tokens.access_token)).toEqual({ clientId: client.client_id, scopes: [SCOPE] });

  const refreshed = await refresh(client, auth, tokens.refresh_token ?? '');
  expect(refreshed.refresh_token).toBeDefined();
  expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  expect(await whoami(refreshed.access_token)).toEqual({ clientId: client.client_id, scopes: [SCOPE] });
  // MCP-AS-13: the rotated-away refresh token is refused (and its reuse revokes the family).
  await expectOAuthFailure(refresh(client, auth, tokens.refresh_token ?? ''), 'invalid_grant');
  await expectOAuthFailure(refresh(client, auth, refreshed.refresh_token ?? ''), 'invalid_grant');

  const again = await signIn(client, auth);
  await revoke(client, auth, again.refresh_token ?? '');
  await expectOAuthFailure(refresh(client, auth, again.refresh_token ?? ''), 'invalid_grant');
  await revoke(client, auth, 'an-unknown-token');
}

describe('end to end with oauth4webapi', () => {
  it('discovery: the metadata oauth4webapi accepted advertises CIMD, none + private_key_jwt, S256 and iss', () => {
    expect(env.metadata).toMatchObject({
      issuer: env.issuer,
      token_endpoint: `${env.issuer}/token`,
      revocation_endpoint: `${env.issuer}/revoke`,
      registration_endpoint: `${env.issuer}/register`,
      client_id_metadata_document_supported: true,
      authorization_response_iss_parameter_supported: true,
      code_challenge_methods_supported: ['S256'],
    });
    expect(env.metadata.token_endpoint_auth_methods_supported).toEqual(['none', 'private_key_jwt']);
  });

  it('PKJ-15: private_key_jwt comes with signing algorithms, never none or HS*', () => {
    const algs = env.metadata.token_endpoint_auth_signing_alg_values_supported ?? [];
    expect(algs).toContain('ES256');
    for (const alg of algs) expect(alg).not.toMatch(/^(none|HS)/i);
  });

  it('the MCP server refuses a call without a token (401 with resource_metadata)', async () => {
    const response = await fetch(env.resource, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/resource_metadata="/);
  });

  it('a public CIMD client: authorize, code exchange, MCP call, refresh with rotation, revocation', async () => {
    const path = '/e2e/public/client.json';
    const clientId = `${env.host.origin}${path}`;
    env.host.route(
      path,
      json({
        client_id: clientId,
        client_name: 'E2E public client',
        redirect_uris: ['http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      }),
    );
    const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
    await fullFlow(client, oauth.None());
  });

  it('a private_key_jwt CIMD client (JWKS on the HTTPS host): the same, authenticated by oauth4webapi PrivateKeyJwt', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const kid = 'e2e-key-1';
    const path = '/e2e/confidential/client.json';
    const clientId = `${env.host.origin}${path}`;
    env.host.route(
      '/e2e/confidential/jwks.json',
      json({ keys: [{ ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'ES256' }] }),
    );
    env.host.route(
      path,
      json({
        client_id: clientId,
        client_name: 'E2E confidential client',
        redirect_uris: ['http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks_uri: `${env.host.origin}/e2e/confidential/jwks.json`,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      }),
    );
    const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'private_key_jwt' };
    const auth = oauth.PrivateKeyJwt({ key: privateKey, kid });
    await fullFlow(client, auth);
    // CIMD-AS-18: the confidential client can never fall back to none.
    const tokens = await signIn(client, auth);
    await expectOAuthFailure(refresh(client, oauth.None(), tokens.refresh_token ?? ''), 'invalid_client');
  });

  it('a DCR client: registered with oauth4webapi, then the same flow', async () => {
    const response = await oauth.dynamicClientRegistrationRequest(
      env.metadata,
      {
        client_name: 'E2E registered client',
        application_type: 'native',
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
      INSECURE,
    );
    const registered = await oauth.processDynamicClientRegistrationResponse(response);
    expect(registered.client_id).toMatch(/^dcr_/);
    expect(registered).not.toHaveProperty('client_secret');
    const client: oauth.Client = { client_id: registered.client_id, token_endpoint_auth_method: 'none' };
    await fullFlow(client, oauth.None());
  });
});

describe('CIMD-only mode (registration: false)', () => {
  it('discovery has no registration_endpoint and /register is 404', async () => {
    const listener = await listen();
    const store = createMemoryStore();
    const as = createAuthorizationServer({
      issuer: listener.origin,
      resources: [env.resource],
      store,
      authenticator: devLogin(),
      registration: false,
    });
    listener.server.on('request', getRequestListener(as.fetch));
    try {
      const metadata = await oauth.processDiscoveryResponse(
        new URL(listener.origin),
        await oauth.discoveryRequest(new URL(listener.origin), { algorithm: 'oauth2', ...INSECURE }),
      );
      expect(metadata.registration_endpoint).toBeUndefined();
      expect(metadata.client_id_metadata_document_supported).toBe(true);
      const register = await fetch(`${listener.origin}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'x', redirect_uris: ['http://127.0.0.1/callback'] }),
      });
      expect(register.status).toBe(404);
    } finally {
      await close(listener.server);
      await as.close();
      await store.close();
    }
  });
});
