/**
 * The whole client sign-in against a fake authorization server and a real SDK MCP server on
 * loopback: which identity is used (MCP-C-01, -10, -15), the callback checks (MCP-C-28,
 * DISC-09), private_key_jwt, step-up (MCP-C-22) and token binding (MCP-C-20, -21).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ConnectOptions, connect } from '../../src/client/connect.js';
import { FileTokenStore } from '../../src/client/file-token-store.js';
import { CimdOAuthClientProvider } from '../../src/client/provider.js';
import { MemoryTokenStore } from '../../src/client/token-store.js';
import { createHeadlessAuthorizer } from '../../src/conformance/headless.js';
import { CLIENT_ID, privateKeyJwtDocument, publicDocument } from './helpers/documents.js';
import {
  type FakeAs,
  type FakeAsOptions,
  type FakeMcp,
  startFakeAs,
  startFakeMcp,
} from './helpers/fake-servers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function servers(
  asOptions: FakeAsOptions,
  mcpOptions: { scopesSupported?: string[]; callScope?: string } = {},
): Promise<{ as: FakeAs; mcp: FakeMcp }> {
  const as = await startFakeAs({ documents: { [CLIENT_ID]: publicDocument() }, ...asOptions });
  cleanups.push(() => as.close());
  const mcp = await startFakeMcp({ as, ...mcpOptions });
  cleanups.push(() => mcp.close());
  return { as, mcp };
}

async function signedIn(url: string, options: ConnectOptions) {
  const client = await connect(url, {
    clientMetadataUrl: CLIENT_ID,
    onAuthorizationUrl: createHeadlessAuthorizer(),
    ...options,
  });
  cleanups.push(() => client.close());
  return client;
}

describe('connect: choosing the client identity', () => {
  it('MCP-C-01: uses the document URL as client_id when the server advertises CIMD, with no registration', async () => {
    const { as, mcp } = await servers({ cimd: true });
    const client = await signedIn(mcp.url, { document: publicDocument() });
    const result = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    expect(result.content).toEqual([{ type: 'text', text: 'hi' }]);
    expect(as.registrations).toHaveLength(0);
    expect(as.authorizeRequests).toHaveLength(1);
    expect(as.authorizeRequests[0]?.get('client_id')).toBe(CLIENT_ID);
    expect(as.authorizeRequests[0]?.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(as.authorizeRequests[0]?.get('resource')).toBe(mcp.url);
    const token = as.tokenRequests[0];
    expect(token?.params.get('client_id')).toBe(CLIENT_ID);
    expect(token?.params.get('client_secret')).toBeNull();
    expect(token?.params.get('resource')).toBe(mcp.url);
  });

  it('MCP-C-15: falls back to Dynamic Client Registration when the server does not advertise CIMD', async () => {
    const { as, mcp } = await servers({ cimd: false });
    const client = await signedIn(mcp.url, { document: publicDocument() });
    await client.listTools();
    expect(as.registrations).toHaveLength(1);
    const registration = as.registrations[0] ?? {};
    expect(registration.client_name).toBe('Test MCP Client');
    expect(registration.application_type).toBe('native');
    expect(registration.token_endpoint_auth_method).toBe('none');
    const clientId = as.authorizeRequests[0]?.get('client_id');
    expect(clientId).toMatch(/^dcr-/);
    expect(registration.redirect_uris).toEqual([as.authorizeRequests[0]?.get('redirect_uri')]);
  });

  it('MCP-C-10: pre-registered credentials win over CIMD (client_secret_basic)', async () => {
    const { as, mcp } = await servers({
      cimd: true,
      authMethods: ['client_secret_basic'],
      clients: [
        {
          client_id: 'pre-registered',
          client_secret: 'pre-secret',
          redirect_uris: ['http://127.0.0.1/callback'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
    });
    const client = await signedIn(mcp.url, {
      document: publicDocument(),
      preRegistered: { clientId: 'pre-registered', clientSecret: 'pre-secret' },
    });
    await client.listTools();
    expect(as.authorizeRequests[0]?.get('client_id')).toBe('pre-registered');
    expect(as.tokenRequests[0]?.authorization).toBe(
      `Basic ${Buffer.from('pre-registered:pre-secret').toString('base64')}`,
    );
    expect(as.registrations).toHaveLength(0);
  });

  it('a stored DCR registration gives way to CIMD once the server advertises it', async () => {
    const { as, mcp } = await servers({ cimd: false });
    const store = new MemoryTokenStore();
    const first = await signedIn(mcp.url, { document: publicDocument(), store });
    await first.listTools();
    expect(as.authorizeRequests[0]?.get('client_id')).toMatch(/^dcr-/);

    as.options.cimd = true;
    as.tokens.clear(); // the old token no longer works: the next request signs in again
    const second = await signedIn(mcp.url, { document: publicDocument(), store });
    await second.listTools();
    expect(as.registrations).toHaveLength(1);
    expect(as.authorizeRequests).toHaveLength(2);
    expect(as.authorizeRequests[1]?.get('client_id')).toBe(CLIENT_ID);
  });

  it('a stored CIMD identity is not used once the server stops advertising CIMD (DCR instead)', async () => {
    const { as, mcp } = await servers({ cimd: true });
    const store = new MemoryTokenStore();
    await (await signedIn(mcp.url, { document: publicDocument(), store })).listTools();
    as.options.cimd = false;
    as.tokens.clear();
    await (await signedIn(mcp.url, { document: publicDocument(), store })).listTools();
    expect(as.authorizeRequests[1]?.get('client_id')).toMatch(/^dcr-/);
  });

  it('says so when the server offers neither CIMD nor registration', async () => {
    const { as, mcp } = await servers({ cimd: false, registration: false });
    await expect(signedIn(mcp.url, { document: publicDocument() })).rejects.toMatchObject({
      code: 'ERR_SIGNIN_SERVER_UNSUPPORTED',
    });
    expect(as.authorizeRequests).toHaveLength(0);
  });
});

describe('connect: the redirect URI (MCP-C-27, RURI-10)', () => {
  it('refuses to start a sign-in when its own document has no loopback redirect URI', async () => {
    const { as, mcp } = await servers({ cimd: true });
    const seen: URL[] = [];
    await expect(
      connect(mcp.url, {
        clientMetadataUrl: CLIENT_ID,
        document: publicDocument({ redirect_uris: ['https://app.example.com/callback'] }),
        onAuthorizationUrl: (url) => {
          seen.push(url);
        },
      }),
    ).rejects.toMatchObject({ code: 'ERR_SIGNIN_REDIRECT_URI' });
    expect(seen).toHaveLength(0);
    expect(as.authorizeRequests).toHaveLength(0);
  });

  it('refuses an authorization URL whose redirect URI the document would not allow, before it is handed out', async () => {
    const provider = new CimdOAuthClientProvider({
      serverUrl: 'http://127.0.0.1:1/mcp',
      clientMetadataUrl: CLIENT_ID,
      document: publicDocument(),
      onAuthorizationUrl: () => {
        throw new Error('must not be called');
      },
    });
    await provider.prepare();
    const url = new URL('http://127.0.0.1:1/authorize');
    url.searchParams.set('redirect_uri', 'http://localhost:1234/callback');
    url.searchParams.set('state', provider.state());
    await expect(provider.redirectToAuthorization(url)).rejects.toMatchObject({
      code: 'ERR_SIGNIN_REDIRECT_URI',
    });
    expect(provider.signInPending).toBe(false);
  });
});

describe('connect: the callback is checked before any token request', () => {
  it('MCP-C-28: a wrong state is rejected and no token is requested', async () => {
    const { as, mcp } = await servers({ cimd: true, callbackState: 'wrong' });
    await expect(signedIn(mcp.url, { document: publicDocument() })).rejects.toMatchObject({
      code: 'ERR_SIGNIN_STATE_MISMATCH',
    });
    expect(as.authorizeRequests).toHaveLength(1);
    expect(as.tokenRequests).toHaveLength(0);
  });

  it('MCP-C-28: a missing state is rejected and no token is requested', async () => {
    const { as, mcp } = await servers({ cimd: true, callbackState: 'omit' });
    await expect(signedIn(mcp.url, { document: publicDocument() })).rejects.toMatchObject({
      code: 'ERR_SIGNIN_STATE_MISMATCH',
    });
    expect(as.tokenRequests).toHaveLength(0);
  });

  it('DISC-09: an iss naming another server is rejected and no token is requested', async () => {
    const { as, mcp } = await servers({ cimd: true, callbackIss: 'wrong' });
    await expect(signedIn(mcp.url, { document: publicDocument() })).rejects.toMatchObject({
      code: 'ERR_SIGNIN_ISSUER_MISMATCH',
    });
    expect(as.tokenRequests).toHaveLength(0);
  });

  it('DISC-09: a missing iss is rejected when the server advertises iss support', async () => {
    const { as, mcp } = await servers({ cimd: true, callbackIss: 'omit' });
    await expect(signedIn(mcp.url, { document: publicDocument() })).rejects.toMatchObject({
      code: 'ERR_SIGNIN_ISSUER_MISMATCH',
    });
    expect(as.tokenRequests).toHaveLength(0);
  });

  it('an error callback surfaces as a clear error', async () => {
    const { as, mcp } = await servers({ cimd: true, deny: true });
    await expect(signedIn(mcp.url, { document: publicDocument() })).rejects.toThrow(
      /declined \(access_denied: The user said no\)/,
    );
    expect(as.tokenRequests).toHaveLength(0);
  });

  it('MCP-C-25: refuses to start when the server does not advertise PKCE S256', async () => {
    const { as, mcp } = await servers({ cimd: true, omitPkceMetadata: true });
    await expect(signedIn(mcp.url, { document: publicDocument() })).rejects.toMatchObject({
      code: 'ERR_SIGNIN_SERVER_UNSUPPORTED',
    });
    expect(as.authorizeRequests).toHaveLength(0);
  });
});

describe('connect: private_key_jwt (MCP-C-14)', () => {
  it('authenticates with a signed assertion whose aud is the issuer string', async () => {
    const { document, signer } = await privateKeyJwtDocument();
    const { as, mcp } = await servers({
      cimd: true,
      documents: { [CLIENT_ID]: document },
      authMethods: ['none', 'private_key_jwt'],
    });
    const client = await signedIn(mcp.url, { document, signer });
    await client.listTools();
    expect(as.assertions).toHaveLength(1);
    const [assertion] = as.assertions;
    expect(assertion?.header).toMatchObject({
      typ: 'client-authentication+jwt',
      alg: 'ES256',
      kid: signer.kid,
    });
    expect(assertion?.payload.aud).toBe(as.issuer);
    expect(as.tokenRequests[0]?.params.get('client_id')).toBe(CLIENT_ID);
  });

  it('fails clearly, before the browser, when the server does not support private_key_jwt', async () => {
    const { document, signer } = await privateKeyJwtDocument();
    const { as, mcp } = await servers({
      cimd: true,
      documents: { [CLIENT_ID]: document },
      authMethods: ['none'],
    });
    await expect(signedIn(mcp.url, { document, signer })).rejects.toMatchObject({
      code: 'ERR_SIGNIN_AUTH_METHOD',
      message: expect.stringContaining('will not fall back'),
    });
    expect(as.authorizeRequests).toHaveLength(0);
  });
});

describe('connect: scopes and step-up (MCP-C-08, MCP-C-22)', () => {
  it('steps up to the union of the held and challenged scopes', async () => {
    const { as, mcp } = await servers(
      { cimd: true },
      { scopesSupported: ['mcp:read'], callScope: 'mcp:write' },
    );
    const client = await signedIn(mcp.url, { document: publicDocument() });
    await client.listTools();
    expect(as.authorizeRequests[0]?.get('scope')).toBe('mcp:read');
    const result = await client.callTool({ name: 'echo', arguments: { text: 'up' } });
    expect(result.content).toEqual([{ type: 'text', text: 'up' }]);
    expect(as.authorizeRequests).toHaveLength(2);
    expect(as.authorizeRequests[1]?.get('scope')).toBe('mcp:read mcp:write');
  });

  it('stops after one step-up when the server keeps refusing', async () => {
    const { as, mcp } = await servers(
      { cimd: true, grantScope: () => 'mcp:read' },
      { scopesSupported: ['mcp:read'], callScope: 'mcp:write' },
    );
    const client = await signedIn(mcp.url, { document: publicDocument() });
    await expect(client.callTool({ name: 'echo', arguments: { text: 'x' } })).rejects.toThrow(
      /403|insufficient_scope/,
    );
    await expect(client.callTool({ name: 'echo', arguments: { text: 'x' } })).rejects.toThrow(
      /403|insufficient_scope/,
    );
    expect(as.authorizeRequests).toHaveLength(2);
  });
});

describe('connect: tokens are bound to their server (MCP-C-20, MCP-C-21)', () => {
  it('sends the bearer token on every request after the sign-in, never in the URL', async () => {
    const { mcp } = await servers({ cimd: true });
    const client = await signedIn(mcp.url, { document: publicDocument() });
    await client.listTools();
    await client.callTool({ name: 'echo', arguments: { text: 'a' } });
    const afterSignIn = mcp.authorizations.slice(1);
    expect(afterSignIn.length).toBeGreaterThan(2);
    for (const header of afterSignIn) expect(header).toMatch(/^Bearer [0-9a-f]{32}$/);
  });

  it('does not send one MCP server’s token to another that uses the same store and authorization server', async () => {
    const { as, mcp } = await servers({ cimd: true });
    const other = await startFakeMcp({ as });
    cleanups.push(() => other.close());
    const store = new MemoryTokenStore();
    await (await signedIn(mcp.url, { document: publicDocument(), store })).listTools();
    await (await signedIn(other.url, { document: publicDocument(), store })).listTools();
    expect(other.authorizations[0]).toBeUndefined();
    expect(as.authorizeRequests).toHaveLength(2);
    expect(as.authorizeRequests[1]?.get('resource')).toBe(other.url);
  });

  it('reuses stored tokens from a file store on the next run without a new sign-in', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cimd-client-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const { as, mcp } = await servers({ cimd: true });
    await (
      await signedIn(mcp.url, { document: publicDocument(), store: new FileTokenStore({ dir }) })
    ).listTools();
    await (
      await signedIn(mcp.url, { document: publicDocument(), store: new FileTokenStore({ dir }) })
    ).listTools();
    expect(as.authorizeRequests).toHaveLength(1);
  });

  it('refreshes with the stored refresh token instead of asking the user again', async () => {
    const { as, mcp } = await servers({ cimd: true, refreshTokens: true });
    const store = new MemoryTokenStore();
    await (await signedIn(mcp.url, { document: publicDocument(), store })).listTools();
    as.tokens.clear(); // the access token no longer works; its refresh token still does
    const refreshedOnly = await signedIn(mcp.url, { document: publicDocument(), store });
    await refreshedOnly.listTools();
    expect(as.authorizeRequests).toHaveLength(1);
    expect(as.tokenRequests.at(-1)?.params.get('grant_type')).toBe('refresh_token');
    expect(as.tokenRequests.at(-1)?.params.get('client_id')).toBe(CLIENT_ID);
  });
});
