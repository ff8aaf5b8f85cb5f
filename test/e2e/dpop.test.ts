/**
 * DPoP end to end on loopback (RFC 9449; issue 10, point 7): the real authorization server with
 * server nonces at /token, an independent client (panva's oauth4webapi and its `DPoP()` handle)
 * for the code exchange and refresh, and a real MCP server (the SDK's McpServer on Express)
 * guarded by our `requireBearer` with DPoP nonces of its own. The MCP calls go through the SDK's
 * Client with our `dpopFetch` (mcp-cimd/client) holding the same key.
 *
 * A token copied without its key is refused by the MCP server (as Bearer, as DPoP without a proof,
 * and with a proof by the thief's own key); a refresh by another key is refused; the MCP server's
 * nonce rotates and the client follows it.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/connect.js';
import {
  createDpopProver,
  DPOP_KEY_STORE_KEY,
  type DpopFetchLike,
  type DpopKeyPair,
  dpopFetch,
} from '../../src/client/dpop.js';
import { MemoryTokenStore } from '../../src/client/token-store.js';
import { approveAuthorization } from '../helpers/approve.js';
import {
  approveToCallback,
  codeAuthorizationUrl,
  type LoopbackCallback,
  startLoopbackCallback,
} from '../helpers/loopback-callback.js';
import {
  type E2e,
  E2E_DPOP_NONCE_WINDOW_MS as RS_NONCE_WINDOW_MS,
  E2E_SCOPE as SCOPE,
  serveDocument,
  startE2e,
} from '../helpers/mcp-e2e.js';

const INSECURE = { [oauth.allowInsecureRequests]: true } as const;

interface Env extends E2e {
  callback: LoopbackCallback;
  redirectUri: string;
  metadata: oauth.AuthorizationServer;
  /** Added to the MCP server's nonce clock (to make its nonce rotate). */
  rsClockOffsetMs: number;
  client: oauth.Client;
}

let env: Env;

beforeAll(async () => {
  // DPoP at both servers: nonces at /token and the MCP server's own, on a clock the test can move.
  const e2e = await startE2e({
    mcpSdk: 1,
    dpop: true,
    dpopNonceNow: () => Date.now() + (env?.rsClockOffsetMs ?? 0),
  });
  const callback = await startLoopbackCallback();
  const metadata = await oauth.processDiscoveryResponse(
    new URL(e2e.issuer),
    await oauth.discoveryRequest(new URL(e2e.issuer), { algorithm: 'oauth2', ...INSECURE }),
  );

  const clientId = `${e2e.documentOrigin}/e2e/dpop/client.json`;
  serveDocument(e2e, {
    client_id: clientId,
    client_name: 'E2E DPoP client',
    redirect_uris: ['http://127.0.0.1/callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  });

  env = Object.assign(e2e, {
    rsClockOffsetMs: 0,
    callback,
    redirectUri: callback.redirectUri,
    metadata,
    client: { client_id: clientId, token_endpoint_auth_method: 'none' } as oauth.Client,
  });
});

afterAll(async () => {
  if (env === undefined) return;
  await env.callback.close();
  await env.close();
});

/** Drives /authorize as a browser: dev login, consent approval, the 303 to the loopback callback. */
async function authorize(codeChallenge: string, state: string): Promise<URL> {
  const url = codeAuthorizationUrl(env.metadata.authorization_endpoint ?? '', {
    clientId: env.client.client_id,
    redirectUri: env.redirectUri,
    codeChallenge,
    state,
    scope: SCOPE,
    resource: env.resource,
  });
  return approveToCallback(url, env.callback);
}

/** Runs `request` and, when oauth4webapi says the server wants a DPoP nonce, once more. */
async function withNonceRetry<T>(request: () => Promise<T>): Promise<{ result: T; retried: boolean }> {
  try {
    return { result: await request(), retried: false };
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error;
    return { result: await request(), retried: true };
  }
}

async function signIn(dpop: oauth.DPoPHandle) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const callbackUrl = await authorize(await oauth.calculatePKCECodeChallenge(verifier), state);
  const params = oauth.validateAuthResponse(env.metadata, env.client, callbackUrl, state);
  return withNonceRetry(async () =>
    oauth.processAuthorizationCodeResponse(
      env.metadata,
      env.client,
      await oauth.authorizationCodeGrantRequest(
        env.metadata,
        env.client,
        oauth.None(),
        params,
        env.redirectUri,
        verifier,
        { additionalParameters: { resource: env.resource }, DPoP: dpop, ...INSECURE },
      ),
    ),
  );
}

async function refresh(dpop: oauth.DPoPHandle, refreshToken: string) {
  return withNonceRetry(async () =>
    oauth.processRefreshTokenResponse(
      env.metadata,
      env.client,
      await oauth.refreshTokenGrantRequest(env.metadata, env.client, oauth.None(), refreshToken, {
        additionalParameters: { resource: env.resource },
        DPoP: dpop,
        ...INSECURE,
      }),
    ),
  );
}

/** Calls `whoami` with the SDK Client through `fetch`. */
async function whoami(fetchImpl: DpopFetchLike): Promise<{ clientId: string }> {
  const client = new Client({ name: 'e2e-dpop-client', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(env.resource), { fetch: fetchImpl }));
  try {
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    const [first] = result.content as { type: string; text: string }[];
    // The world's `whoami` reports scopes too; these tests look at the client.
    const { clientId } = JSON.parse(first?.text ?? '{}') as { clientId: string };
    return { clientId };
  } finally {
    await client.close();
  }
}

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'thief', version: '1' } },
});

function mcpPost(headers: Record<string, string>): Promise<Response> {
  return fetch(env.resource, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: initialize,
  });
}

async function newKeyPair(): Promise<DpopKeyPair> {
  return generateKeyPair('ES256', { extractable: false });
}

describe('DPoP end to end (oauth4webapi + our server + an SDK MCP server behind our middleware)', () => {
  let keyPair: DpopKeyPair;
  let tokens: oauth.TokenEndpointResponse;

  beforeAll(async () => {
    keyPair = await newKeyPair();
    const signedIn = await signIn(oauth.DPoP(env.client, keyPair));
    tokens = signedIn.result;
    // The server's /token nonce: the first exchange was answered use_dpop_nonce and retried.
    expect(signedIn.retried).toBe(true);
  });

  it('discovery advertises dpop_signing_alg_values_supported', () => {
    expect(env.metadata.dpop_signing_alg_values_supported).toContain('ES256');
  });

  it('the code exchange with a proof gives token_type DPoP and an access token bound to the key (cnf.jkt)', async () => {
    expect(tokens.token_type).toBe('dpop');
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });
  });

  it('the MCP server accepts the bound token with proofs by its key (the SDK Client over dpopFetch, nonce retried)', async () => {
    const prover = createDpopProver(keyPair);
    expect(await whoami(dpopFetch(prover, () => tokens.access_token))).toEqual({
      clientId: env.client.client_id,
    });
    expect(prover.nonceFor(env.resource)).toBeDefined();
  });

  it('a token copied without its key is refused by the MCP server: as Bearer, as DPoP without a proof, with the thief’s own key', async () => {
    const asBearer = await mcpPost({ authorization: `Bearer ${tokens.access_token}` });
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_token"/);

    const noProof = await mcpPost({ authorization: `DPoP ${tokens.access_token}` });
    expect(noProof.status).toBe(401);

    const thief = createDpopProver(await newKeyPair());
    const thiefFetch = dpopFetch(thief, () => tokens.access_token);
    const stolen = await thiefFetch(env.resource, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: initialize,
    });
    expect(stolen.status).toBe(401);
    expect(await stolen.json()).toMatchObject({ error: 'invalid_token' });
    await expect(whoami(dpopFetch(thief, () => tokens.access_token))).rejects.toThrow();
  });

  it("the MCP server's nonce rotates: a stale nonce gets 401 use_dpop_nonce with the new one, and the client follows", async () => {
    const prover = createDpopProver(keyPair);
    let calls = 0;
    const counting: DpopFetchLike = async (input, init) => {
      calls += 1;
      return fetch(input, init);
    };
    const authed = dpopFetch(prover, () => tokens.access_token, counting);
    await whoami(authed);
    const before = prover.nonceFor(env.resource);
    env.rsClockOffsetMs += 2 * RS_NONCE_WINDOW_MS;
    calls = 0;
    const response = await authed(env.resource, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: initialize,
    });
    expect(response.status).toBe(200);
    await response.body?.cancel();
    expect(calls, 'the stale nonce was refused once, then retried').toBe(2);
    expect(prover.nonceFor(env.resource)).not.toBe(before);
    expect(await whoami(authed)).toEqual({ clientId: env.client.client_id });
  });

  it("a refresh needs a proof by the same key (a public client's refresh token is bound to it)", async () => {
    const other = oauth.DPoP(env.client, await newKeyPair());
    await expect(refresh(other, tokens.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    const refreshed = await refresh(oauth.DPoP(env.client, keyPair), tokens.refresh_token ?? '');
    expect(refreshed.result.token_type).toBe('dpop');
    const prover = createDpopProver(keyPair);
    expect(await whoami(dpopFetch(prover, () => refreshed.result.access_token))).toEqual({
      clientId: env.client.client_id,
    });
  });

  it("connect() with dpop: true: the provider's key per token store, proofs at /token and the MCP server, nonce retries on both", async () => {
    const store = new MemoryTokenStore();
    const client = await connect(env.resource, {
      clientMetadataUrl: env.client.client_id,
      onAuthorizationUrl: async (url: URL) => {
        const { status } = await approveAuthorization(url);
        expect(status).toBe(200);
      },
      allowPrivateNetwork: true,
      fetchOptions: { ca: env.ca.caCert },
      callbackTimeoutMs: 10_000,
      store,
      dpop: true,
    });
    try {
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      const [first] = result.content as { type: string; text: string }[];
      const { clientId } = JSON.parse(first?.text ?? '{}') as { clientId: string };
      expect({ clientId }).toEqual({ clientId: env.client.client_id });
    } finally {
      await client.close();
    }
    const saved = store.get(DPOP_KEY_STORE_KEY) as {
      privateJwk: { x: string; y: string; kty: string; crv: string };
    };
    const jkt = await calculateJwkThumbprint(
      { kty: saved.privateJwk.kty, crv: saved.privateJwk.crv, x: saved.privateJwk.x, y: saved.privateJwk.y },
      'sha256',
    );
    const tokensKey = store.keys().find((key) => key.startsWith('tokens:')) ?? '';
    const tokens = store.get(tokensKey) as { access_token: string; token_type: string };
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });
    // The stored token, copied out of the store without the key, is refused.
    expect((await mcpPost({ authorization: `Bearer ${tokens.access_token}` })).status).toBe(401);
  });
});
