/**
 * FastMCP parity (issue 12, item 5): a client provider built from the document URL alone
 * (`cimdProvider(url)`, like FastMCP's `OAuth(client_metadata_url=...)`), the MCP server taken from
 * where it is used, against our authorization server and an SDK 1.x MCP server behind our bearer
 * middleware (test/helpers/mcp-e2e.ts): through `connect()`, through the SDK's own transport
 * (`authProvider`, bound by the SDK's `auth()`), with a file token store that a second run
 * reuses, and refusing a second server.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CimdProviderOptions, cimdProvider } from '../../src/client/cimd-provider.js';
import { connect } from '../../src/client/connect.js';
import { SignInError } from '../../src/client/errors.js';
import type { CimdOAuthClientProvider } from '../../src/client/provider.js';
import { approveAuthorization } from '../helpers/approve.js';
import { E2E_SCOPE, type E2e, servePublicClient, startE2e, whoami } from '../helpers/mcp-e2e.js';

const CLIENT_INFO = { name: 'e2e-provider-from-url', version: '1.0.0' };

/** What a test on loopback needs on top of the defaults: the test CA, private network, a headless approval. */
function testOptions(e2e: E2e): CimdProviderOptions {
  return {
    onAuthorizationUrl: async (url) => {
      const { status } = await approveAuthorization(url);
      expect(status, 'the provider accepted the callback').toBe(200);
    },
    allowPrivateNetwork: true,
    fetchOptions: { ca: e2e.ca.caCert },
    callbackTimeoutMs: 10_000,
  };
}

describe('cimdProvider(documentUrl): the MCP server comes from the transport', () => {
  let e2e: E2e;
  let clientId: string;
  beforeAll(async () => {
    e2e = await startE2e({ mcpSdk: 1 });
    clientId = servePublicClient(e2e, 'from-url');
  });
  afterAll(async () => {
    await e2e?.close();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('connect(serverUrl, { provider }) binds the provider to that server and signs in with the document URL', async () => {
    const provider = cimdProvider(clientId, testOptions(e2e));
    expect(provider.serverUrl).toBeUndefined();
    const client = await connect(e2e.resource, { provider, clientInfo: CLIENT_INFO });
    try {
      expect(await whoami(client)).toEqual({ clientId, scopes: [E2E_SCOPE] });
      expect(provider.serverUrl).toBe(e2e.resource);
      const authorize = e2e.authorizeRequests.at(-1);
      expect(authorize?.get('client_id')).toBe(clientId);
      expect(authorize?.get('resource')).toBe(e2e.resource);
    } finally {
      await client.close();
    }
  });

  it("the SDK's own transport (authProvider) binds it through auth() and the sign-in completes with finishAuth", async () => {
    const provider = cimdProvider(clientId, testOptions(e2e));
    const authProvider = provider as unknown as ConstructorParameters<
      typeof StreamableHTTPClientTransport
    >[1] extends infer O
      ? O extends { authProvider?: infer P }
        ? P
        : never
      : never;
    const open = async () => {
      const client = new Client(CLIENT_INFO);
      await client.connect(new StreamableHTTPClientTransport(new URL(e2e.resource), { authProvider }));
      return client;
    };
    let client: Client;
    try {
      client = await open();
      throw new Error('expected the first connect to need a sign-in');
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) throw error;
      expect(provider.serverUrl, 'auth() bound the provider to the transport URL').toBe(e2e.resource);
      const code = await provider.waitForAuthorizationCode();
      await new StreamableHTTPClientTransport(new URL(e2e.resource), { authProvider }).finishAuth(code);
      client = await open();
    }
    try {
      expect(await whoami(client)).toEqual({ clientId, scopes: [E2E_SCOPE] });
      expect(e2e.authorizeRequests.at(-1)?.get('resource')).toBe(e2e.resource);
    } finally {
      await client.close();
    }
  });

  it("store: 'file' keeps the tokens in the user's config folder: the next run uses them without a browser", async () => {
    const home = await mkdtemp(join(tmpdir(), 'cimd-provider-file-'));
    try {
      vi.stubEnv('XDG_CONFIG_HOME', home);
      const first = await connect(e2e.resource, {
        provider: cimdProvider(clientId, { ...testOptions(e2e), store: 'file' }),
        clientInfo: CLIENT_INFO,
      });
      await first.close();
      const saved = await readFile(join(home, 'mcp-cimd', 'credentials.json'), 'utf8');
      expect(saved).toContain(e2e.resource);

      const authorizeBefore = e2e.authorizeRequests.length;
      const exchangesBefore = e2e.tokenExchanges.length;
      const second = await connect(e2e.resource, {
        provider: cimdProvider(clientId, {
          ...testOptions(e2e),
          store: 'file',
          onAuthorizationUrl: () => {
            throw new Error('the second run must not open a browser');
          },
        }),
        clientInfo: CLIENT_INFO,
      });
      try {
        expect(await whoami(second)).toEqual({ clientId, scopes: [E2E_SCOPE] });
        expect(e2e.authorizeRequests.length).toBe(authorizeBefore);
        // The stored access token is still valid: no authorization request and no token request.
        expect(e2e.tokenExchanges.length).toBe(exchangesBefore);
      } finally {
        await second.close();
      }
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('a provider bound to one MCP server refuses another (its tokens belong to the first)', async () => {
    const provider: CimdOAuthClientProvider = cimdProvider(clientId, testOptions(e2e)).bind(e2e.resource);
    const other = new URL('/other-mcp', e2e.resource).href;
    const refused = await connect(other, { provider }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(SignInError);
    expect((refused as SignInError).code).toBe('ERR_SIGNIN_CLIENT_CONFIG');
    expect((refused as SignInError).message).toContain(e2e.resource);
    expect(() => provider.bind(`${e2e.resource}/`)).not.toThrow();
  });

  it('an invalid document URL is refused at once, before any server is named', () => {
    expect(() => cimdProvider('http://app.example.com/oauth/client.json')).toThrow(/https/i);
    expect(() => cimdProvider('https://app.example.com/')).toThrow();
  });
});
