/**
 * End to end on loopback with an INDEPENDENT strict OAuth client (panva's oauth4webapi, not our
 * code): the authorization server served by @hono/node-server on 127.0.0.1, CIMD documents and a
 * JWKS on a real HTTPS loopback host (test CA), and a real MCP server (the SDK's McpServer +
 * StreamableHTTPServerTransport on Express) guarded by our `requireBearer`: the shared e2e world
 * (test/helpers/mcp-e2e.ts).
 *
 * Each client goes through discovery, /authorize (the dev login signs in; the consent page's form
 * is posted back with its CSRF cookie), the 303 back to its loopback redirect URI (RFC 9207 `iss`
 * checked by oauth4webapi), the code exchange, a refresh, a call to the MCP server with the SDK's
 * Client, and revocation: a public CIMD client, a private_key_jwt CIMD client and a DCR client.
 * A CIMD-only server has no registration endpoint.
 */
import { getRequestListener } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizationServer, devLogin } from '../../src/server/index.js';
import { createMemoryStore } from '../../src/store/index.js';
import {
  approveToCallback,
  codeAuthorizationUrl,
  type LoopbackCallback,
  startLoopbackCallback,
} from '../helpers/loopback-callback.js';
import {
  closeServer as close,
  type E2e,
  listenHttp as listen,
  E2E_SCOPE as SCOPE,
  serveDocument,
  startE2e,
} from '../helpers/mcp-e2e.js';

const INSECURE = { [oauth.allowInsecureRequests]: true } as const;

interface Env extends E2e {
  callback: LoopbackCallback;
  metadata: oauth.AuthorizationServer;
}

let env: Env;

beforeAll(async () => {
  const e2e = await startE2e({ mcpSdk: 1 });
  const callback = await startLoopbackCallback();
  const response = await oauth.discoveryRequest(new URL(e2e.issuer), { algorithm: 'oauth2', ...INSECURE });
  const metadata = await oauth.processDiscoveryResponse(new URL(e2e.issuer), response);
  env = Object.assign(e2e, { callback, metadata });
});

afterAll(async () => {
  if (env === undefined) return;
  await env.callback.close();
  await env.close();
});

/**
 * Drives /authorize as a browser would: GET with the dev login, approve on the consent page (the
 * form's hidden fields and the CSRF cookie), follow the 303 to the loopback callback. Returns the
 * callback URL the client's listener received.
 */
async function authorize(clientId: string, codeChallenge: string, state: string): Promise<URL> {
  const url = codeAuthorizationUrl(env.metadata.authorization_endpoint ?? '', {
    clientId,
    redirectUri: env.callback.redirectUri,
    codeChallenge,
    state,
    scope: SCOPE,
    resource: env.resource,
  });
  return approveToCallback(url, env.callback, {
    onConsentForm: (fields) => {
      expect(fields.has('interaction'), 'the consent page has the interaction field').toBe(true);
      expect(fields.has('csrf_token'), 'the consent page has the CSRF field').toBe(true);
    },
  });
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
    const clientId = `${env.documentOrigin}${path}`;
    serveDocument(env, {
      client_id: clientId,
      client_name: 'E2E public client',
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
    await fullFlow(client, oauth.None());
  });

  it('a private_key_jwt CIMD client (JWKS on the HTTPS host): the same, authenticated by oauth4webapi PrivateKeyJwt', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const kid = 'e2e-key-1';
    const path = '/e2e/confidential/client.json';
    const clientId = `${env.documentOrigin}${path}`;
    serveDocument(
      env,
      {
        client_id: clientId,
        client_name: 'E2E confidential client',
        redirect_uris: ['http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks_uri: `${env.documentOrigin}/e2e/confidential/jwks.json`,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
      { keys: [{ ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'ES256' }] },
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
