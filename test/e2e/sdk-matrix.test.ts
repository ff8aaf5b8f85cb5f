/**
 * The SDK matrix end to end (issue 10, point 7), the combinations not covered elsewhere, against
 * our authorization server and our resource middleware (test/helpers/mcp-e2e.ts):
 *
 * - SDK 2.x client (`@modelcontextprotocol/client`) × SDK 1.x MCP server: `connectSdk2`, and the
 *   SDK 2.x transport driving our provider itself (`authProvider`).
 * - DPoP through the SDK 2.x transport with the provider's `dpop()` hook (`dpop: true`), against
 *   an SDK 2.x MCP server that takes DPoP: the token is bound to the token store's key, every MCP
 *   request carries `Authorization: DPoP` and a proof, and a copied token without the key is
 *   refused (as Bearer, as DPoP without a proof, with a proof by another key).
 *
 * SDK 1.x client × SDK 2.x MCP server is in client-sdk2.test.ts; SDK 1.x × 1.x in
 * client-provider.test.ts and dpop.test.ts; SDK 2.x × 2.x in client-sdk2.test.ts.
 */
import {
  Client as Client2,
  type OAuthClientProvider,
  StreamableHTTPClientTransport as Transport2,
  UnauthorizedError,
} from '@modelcontextprotocol/client';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSdk2 } from '../../src/client/connect-sdk2.js';
import {
  createDpopProver,
  DPOP_KEY_STORE_KEY,
  dpopFetch,
  generateDpopKeyPair,
} from '../../src/client/dpop.js';
import { CimdOAuthClientProvider } from '../../src/client/provider.js';
import type { CimdClientProviderOptions } from '../../src/client/provider-options.js';
import { MemoryTokenStore } from '../../src/client/token-store.js';
import { approveAuthorization } from '../helpers/approve.js';
import { E2E_SCOPE, type E2e, servePublicClient, startE2e, whoami } from '../helpers/mcp-e2e.js';

const CLIENT_INFO = { name: 'e2e-sdk-matrix', version: '1.0.0' };

function providerOptions(e2e: E2e, clientMetadataUrl: string): Omit<CimdClientProviderOptions, 'serverUrl'> {
  return {
    clientMetadataUrl,
    onAuthorizationUrl: async (url) => {
      const { callback, status } = await approveAuthorization(url);
      expect(callback.searchParams.get('iss')).toBe(e2e.issuer);
      expect(status, 'the provider accepted the callback').toBe(200);
    },
    allowPrivateNetwork: true,
    fetchOptions: { ca: e2e.ca.caCert },
    callbackTimeoutMs: 10_000,
  };
}

/**
 * Connects the SDK 2.x transport with our provider as its `authProvider`: the transport's own
 * `auth()` runs, answers `UnauthorizedError` after starting the sign-in, and `finishAuth` takes
 * the code and `iss` from our loopback listener.
 */
async function connectWithAuthProvider(e2e: E2e, provider: CimdOAuthClientProvider): Promise<Client2> {
  await provider.prepare();
  const authProvider = provider as unknown as OAuthClientProvider;
  const open = async () => {
    const client = new Client2(CLIENT_INFO);
    await client.connect(new Transport2(new URL(e2e.resource), { authProvider }));
    return client;
  };
  try {
    return await open();
  } catch (error) {
    if (!(error instanceof UnauthorizedError) || !provider.signInPending) throw error;
    const { code, iss } = await provider.waitForAuthorizationResponse();
    await new Transport2(new URL(e2e.resource), { authProvider }).finishAuth(code, iss);
    return open();
  }
}

describe('SDK 2.x client × SDK 1.x MCP server', () => {
  let e2e: E2e;
  let clientId: string;
  beforeAll(async () => {
    e2e = await startE2e({ mcpSdk: 1 });
    clientId = servePublicClient(e2e, 'sdk2-on-sdk1');
  });
  afterAll(async () => {
    await e2e?.close();
  });

  it('connectSdk2 (auto: falls back to initialize) signs in with the document URL and calls a tool', async () => {
    const client = await connectSdk2(e2e.resource, providerOptions(e2e, clientId));
    try {
      expect(await whoami(client)).toEqual({ clientId, scopes: [E2E_SCOPE] });
      expect(e2e.authorizeRequests.at(-1)?.get('client_id')).toBe(clientId);
    } finally {
      await client.close();
    }
  });

  it('the SDK 2.x transport driving our provider (authProvider): sign-in, finishAuth with iss, tokens stamped with the issuer', async () => {
    const provider = new CimdOAuthClientProvider({
      ...providerOptions(e2e, clientId),
      serverUrl: e2e.resource,
      store: new MemoryTokenStore(),
    });
    const client = await connectWithAuthProvider(e2e, provider);
    try {
      expect(await whoami(client)).toEqual({ clientId, scopes: [E2E_SCOPE] });
      const tokens = await provider.tokens({ issuer: e2e.issuer });
      expect(tokens?.issuer).toBe(e2e.issuer);
      expect(tokens?.token_type.toLowerCase()).toBe('bearer');
    } finally {
      await client.close();
    }
  });
});

describe("DPoP through the SDK 2.x transport with the provider's dpop() hook (SDK 2.x MCP server)", () => {
  let e2e: E2e;
  let clientId: string;
  beforeAll(async () => {
    e2e = await startE2e({ mcpSdk: 2, dpop: true });
    clientId = servePublicClient(e2e, 'dpop-sdk2');
  });
  afterAll(async () => {
    await e2e?.close();
  });

  /** An MCP request with the given headers, as a thief holding the token would send it. */
  const listTools = (headers: Record<string, string>) =>
    fetch(e2e.resource, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-06-18',
        ...headers,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });

  it("binds the token to the token store's key, presents it with proofs, and a copied token without the key is refused", async () => {
    const store = new MemoryTokenStore();
    const provider = new CimdOAuthClientProvider({
      ...providerOptions(e2e, clientId),
      serverUrl: e2e.resource,
      store,
      dpop: true,
    });
    const exchangesBefore = e2e.tokenExchanges.length;
    const requestsBefore = e2e.mcpRequests.length;
    const client = await connectWithAuthProvider(e2e, provider);
    let token: string;
    try {
      expect(await whoami(client)).toEqual({ clientId, scopes: [E2E_SCOPE] });
      const tokens = await provider.tokens();
      expect(tokens?.token_type).toBe('DPoP');
      token = tokens?.access_token ?? '';
      const session = await provider.dpop();
      expect(session).toBeDefined();
      // One key per token store: the session's key is the store's (dpop:key), and the token is bound to it.
      expect(await store.get(DPOP_KEY_STORE_KEY)).toMatchObject({ alg: 'ES256' });
      expect((decodeJwt(token).cnf as { jkt?: string } | undefined)?.jkt).toBe(session?.thumbprint);
      // The SDK made the proof at /token (the code exchange succeeded with a DPoP token).
      const exchange = e2e.tokenExchanges
        .slice(exchangesBefore)
        .find((entry) => entry.form.get('grant_type') === 'authorization_code' && entry.status === 200);
      expect(exchange?.body.token_type).toBe('DPoP');
      // Every MCP request that succeeded carried the DPoP scheme and a proof.
      const authorized = e2e.mcpRequests.slice(requestsBefore).filter((entry) => entry.status < 300);
      expect(authorized.length).toBeGreaterThan(0);
      expect(authorized.every((entry) => entry.scheme === 'DPoP' && entry.hasProof)).toBe(true);
    } finally {
      await client.close();
    }

    // The same token, copied without its key.
    const asBearer = await listTools({ authorization: `Bearer ${token}` });
    expect(asBearer.status).toBe(401);
    await asBearer.body?.cancel();
    const withoutProof = await listTools({ authorization: `DPoP ${token}` });
    expect(withoutProof.status).toBe(401);
    await withoutProof.body?.cancel();
    const thief = createDpopProver(await generateDpopKeyPair());
    const thiefFetch = dpopFetch(thief, () => token);
    const withOtherKey = await thiefFetch(e2e.resource, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(withOtherKey.status).toBe(401);
    expect(withOtherKey.headers.get('www-authenticate')).not.toMatch(/use_dpop_nonce/);
    await withOtherKey.body?.cancel();
  });

  it('a provider on the same token store proves with the same key; another store has its own', async () => {
    const store = new MemoryTokenStore();
    const options = { ...providerOptions(e2e, clientId), serverUrl: e2e.resource, dpop: true };
    const first = await new CimdOAuthClientProvider({ ...options, store }).dpop();
    const second = await new CimdOAuthClientProvider({ ...options, store }).dpop();
    const other = await new CimdOAuthClientProvider({ ...options, store: new MemoryTokenStore() }).dpop();
    expect(second?.thumbprint).toBe(first?.thumbprint);
    expect(other?.thumbprint).not.toBe(first?.thumbprint);
    expect(await new CimdOAuthClientProvider({ ...options, dpop: false }).dpop()).toBeUndefined();
  });

  it('connectSdk2 with dpop: true gets a DPoP token and calls a tool with proofs', async () => {
    const store = new MemoryTokenStore();
    const requestsBefore = e2e.mcpRequests.length;
    const client = await connectSdk2(e2e.resource, { ...providerOptions(e2e, clientId), store, dpop: true });
    try {
      expect(await whoami(client)).toEqual({ clientId, scopes: [E2E_SCOPE] });
      const authorized = e2e.mcpRequests.slice(requestsBefore).filter((entry) => entry.status < 300);
      expect(authorized.length).toBeGreaterThan(0);
      expect(authorized.every((entry) => entry.scheme === 'DPoP' && entry.hasProof)).toBe(true);
    } finally {
      await client.close();
    }
  });
});
