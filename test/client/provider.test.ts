/**
 * The provider on its own: construction checks (CIMD-URL-01/02, the document, the signer), the
 * registration order it gives the SDK (MCP-C-10), storage keyed by server (MCP-C-21) and state.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import type { AuthorizationServerMetadataLike } from '../../src/client/oauth-types.js';
import { CimdOAuthClientProvider } from '../../src/client/provider.js';
import type { CimdClientProviderOptions } from '../../src/client/provider-options.js';
import { MemoryTokenStore, registrationKey } from '../../src/client/token-store.js';
import { CLIENT_ID, privateKeyJwtDocument, publicDocument } from './helpers/documents.js';

const AS = 'https://as.example.com/';

function metadata(overrides: Partial<AuthorizationServerMetadataLike> = {}): AuthorizationServerMetadataLike {
  return {
    issuer: 'https://as.example.com',
    authorization_endpoint: 'https://as.example.com/authorize',
    token_endpoint: 'https://as.example.com/token',
    registration_endpoint: 'https://as.example.com/register',
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
    ...overrides,
  };
}

function provider(options: Partial<CimdClientProviderOptions> = {}): CimdOAuthClientProvider {
  return new CimdOAuthClientProvider({
    serverUrl: 'https://mcp.example.com/mcp',
    clientMetadataUrl: CLIENT_ID,
    document: publicDocument(),
    onAuthorizationUrl: () => {},
    ...options,
  });
}

describe('construction', () => {
  it.each([
    ['CIMD-URL-01', 'http://app.example.com/client.json'],
    ['CIMD-URL-02', 'https://app.example.com/'],
    ['CIMD-URL-04', 'https://app.example.com/client.json#x'],
    ['CIMD-URL-09', 'https://localhost/client.json'],
  ])('%s: refuses an invalid client metadata URL at construction', (id, url) => {
    expect(() => provider({ clientMetadataUrl: url, document: publicDocument({ client_id: url }) })).toThrow(
      expect.objectContaining({ code: 'ERR_CIMD_INVALID_CLIENT_ID', message: expect.stringContaining(id) }),
    );
  });

  it('accepts a private-network URL only with allowPrivateNetwork', () => {
    const url = 'https://localhost:8443/client.json';
    expect(() =>
      provider({
        clientMetadataUrl: url,
        document: publicDocument({ client_id: url }),
        allowPrivateNetwork: true,
      }),
    ).not.toThrow();
  });

  it('refuses a document whose client_id is not the URL it is configured at (MCP-C-13)', () => {
    expect(() =>
      provider({ document: publicDocument({ client_id: 'https://other.example.com/c.json' }) }),
    ).toThrow(expect.objectContaining({ code: 'ERR_SIGNIN_CLIENT_CONFIG' }));
  });

  it('refuses a document without a loopback redirect URI before anything happens', () => {
    expect(() =>
      provider({ document: publicDocument({ redirect_uris: ['https://app.example.com/cb'] }) }),
    ).toThrow(expect.objectContaining({ code: 'ERR_SIGNIN_REDIRECT_URI' }));
  });

  it('refuses a secret-based auth method in a CIMD document', () => {
    expect(() =>
      provider({ document: publicDocument({ token_endpoint_auth_method: 'client_secret_basic' }) }),
    ).toThrow(expect.objectContaining({ code: 'ERR_SIGNIN_CLIENT_CONFIG' }));
  });

  it('needs a signer for a private_key_jwt document, of the document’s algorithm', async () => {
    const { document, signer } = await privateKeyJwtDocument();
    expect(() => provider({ document })).toThrow(/signing key/);
    expect(() => provider({ document, signer })).not.toThrow();
    expect(() => provider({ document, signer: { alg: 'RS256', sign: signer.sign } })).toThrow(/ES256/);
  });

  it('takes explicit redirect URIs instead of the document, not both', () => {
    expect(() =>
      provider({ document: undefined, redirectUris: ['http://127.0.0.1/callback'] }),
    ).not.toThrow();
    expect(() => provider({ redirectUris: ['http://127.0.0.1/callback'] })).toThrow(/either/);
  });
});

describe('prepare and the SDK surface', () => {
  it('chooses a random loopback port and a redirect URL the document allows', async () => {
    const p = provider();
    expect(() => p.redirectUrl).toThrow(/prepare/);
    await p.prepare();
    expect(p.redirectUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(p.clientMetadata).toMatchObject({
      client_name: 'Test MCP Client',
      redirect_uris: [p.redirectUrl],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    });
  });

  it('MCP-C-28: state() comes from the CSPRNG and differs every time', () => {
    const p = provider();
    const states = new Set(Array.from({ length: 1000 }, () => p.state()));
    expect(states.size).toBe(1000);
    for (const state of states) expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('PKCE-C-05: keeps the verifier of the sign-in only in memory and forgets it on request', async () => {
    const p = provider();
    expect(() => p.codeVerifier()).toThrow(/no PKCE verifier/);
    p.saveCodeVerifier('v'.repeat(43));
    expect(p.codeVerifier()).toBe('v'.repeat(43));
    await p.invalidateCredentials('verifier');
    expect(() => p.codeVerifier()).toThrow();
  });

  it("keeps the verifier through invalidateCredentials('all'): the SDK's retry of a code exchange after invalid_client needs it", async () => {
    const p = provider();
    p.saveCodeVerifier('w'.repeat(43));
    await p.invalidateCredentials('all');
    expect(p.codeVerifier()).toBe('w'.repeat(43));
    p.saveCodeVerifier('x'.repeat(43)); // a new sign-in replaces it
    expect(p.codeVerifier()).toBe('x'.repeat(43));
  });
});

describe('clientInformation: the registration order (MCP-C-10)', () => {
  it('pre-registered credentials first, even when CIMD is advertised', async () => {
    const p = provider({ preRegistered: { clientId: 'pre', clientSecret: 's' } });
    p.saveDiscoveryState({
      authorizationServerUrl: AS,
      authorizationServerMetadata: metadata({ client_id_metadata_document_supported: true }),
    });
    expect(await p.clientInformation()).toEqual({ client_id: 'pre', client_secret: 's' });
  });

  it('pre-registered credentials bound to another server are not presented to this one', async () => {
    const p = provider({ preRegistered: { clientId: 'pre', issuer: 'https://other.example.com' } });
    p.saveDiscoveryState({
      authorizationServerUrl: AS,
      authorizationServerMetadata: metadata({ client_id_metadata_document_supported: true }),
    });
    expect((await p.clientInformation())?.client_id).toBe(CLIENT_ID);
  });

  it('MCP-C-01: the document URL when the server advertises CIMD', async () => {
    const p = provider();
    p.saveDiscoveryState({
      authorizationServerUrl: AS,
      authorizationServerMetadata: metadata({ client_id_metadata_document_supported: true }),
    });
    expect(await p.clientInformation()).toEqual({ client_id: CLIENT_ID, issuer: AS });
  });

  it('MCP-C-15: nothing (so the SDK registers) when the flag is absent or false', async () => {
    for (const flag of [undefined, false]) {
      const p = provider();
      p.saveDiscoveryState({
        authorizationServerUrl: AS,
        authorizationServerMetadata: metadata(
          flag === undefined ? {} : { client_id_metadata_document_supported: flag },
        ),
      });
      expect(await p.clientInformation()).toBeUndefined();
    }
  });

  it('a stored DCR registration for this server is used, and gives way to CIMD once advertised', async () => {
    const store = new MemoryTokenStore();
    const p = provider({ store });
    await p.prepare();
    p.saveDiscoveryState({ authorizationServerUrl: AS, authorizationServerMetadata: metadata() });
    await p.saveClientInformation({ client_id: 'dcr-1', redirect_uris: [p.redirectUrl], issuer: AS });
    expect((await p.clientInformation())?.client_id).toBe('dcr-1');
    p.saveDiscoveryState({
      authorizationServerUrl: AS,
      authorizationServerMetadata: metadata({ client_id_metadata_document_supported: true }),
    });
    expect((await p.clientInformation())?.client_id).toBe(CLIENT_ID);
  });

  it('a stored DCR registration for another redirect URI (another port) is not reused', async () => {
    const store = new MemoryTokenStore();
    store.set(registrationKey(CLIENT_ID, AS), {
      client_id: 'dcr-old',
      redirect_uris: ['http://127.0.0.1:1/callback'],
      issuer: AS,
    });
    const p = provider({ store });
    p.saveDiscoveryState({ authorizationServerUrl: AS, authorizationServerMetadata: metadata() });
    expect(await p.clientInformation()).toBeUndefined();
  });

  it('the CIMD identity is never stored as a registration', async () => {
    const store = new MemoryTokenStore();
    const p = provider({ store });
    await p.saveClientInformation({ client_id: CLIENT_ID, issuer: AS });
    expect(store.keys()).toEqual([]);
  });

  it('private_key_jwt against a server without it fails before any sign-in (no silent downgrade)', async () => {
    const { document, signer } = await privateKeyJwtDocument();
    const p = provider({ document, signer });
    p.saveDiscoveryState({
      authorizationServerUrl: AS,
      authorizationServerMetadata: metadata({
        client_id_metadata_document_supported: true,
        token_endpoint_auth_methods_supported: ['none'],
      }),
    });
    await expect(p.clientInformation()).rejects.toMatchObject({ code: 'ERR_SIGNIN_AUTH_METHOD' });
  });
});

describe('tokens: keyed by issuer, MCP server and client id (MCP-C-21)', () => {
  it('a token saved for one MCP server is not returned for another, nor after the server moves', async () => {
    const store = new MemoryTokenStore();
    const meta = metadata({ client_id_metadata_document_supported: true });
    const a = provider({ store });
    a.saveDiscoveryState({ authorizationServerUrl: AS, authorizationServerMetadata: meta });
    await a.clientInformation();
    await a.saveTokens({ access_token: 'tok-a', token_type: 'Bearer', issuer: AS });
    expect((await a.tokens())?.access_token).toBe('tok-a');

    const fresh = provider({ store });
    expect((await fresh.tokens())?.access_token).toBe('tok-a'); // the next run, before discovery

    const other = provider({ store, serverUrl: 'https://other-mcp.example.com/mcp' });
    other.saveDiscoveryState({ authorizationServerUrl: AS, authorizationServerMetadata: meta });
    await other.clientInformation();
    expect(await other.tokens()).toBeUndefined();

    const moved = provider({ store });
    moved.saveDiscoveryState({
      authorizationServerUrl: 'https://new-as.example.com/',
      authorizationServerMetadata: metadata({
        issuer: 'https://new-as.example.com',
        client_id_metadata_document_supported: true,
      }),
    });
    await moved.clientInformation();
    expect(await moved.tokens()).toBeUndefined();
  });

  it('invalidateCredentials forgets tokens, the registration and the discovery', async () => {
    const store = new MemoryTokenStore();
    const p = provider({ store });
    await p.prepare();
    p.saveDiscoveryState({ authorizationServerUrl: AS, authorizationServerMetadata: metadata() });
    await p.saveClientInformation({ client_id: 'dcr-1', redirect_uris: [p.redirectUrl], issuer: AS });
    await p.clientInformation();
    await p.saveTokens({ access_token: 't', token_type: 'Bearer', issuer: AS });
    await p.invalidateCredentials('tokens');
    expect(await p.tokens()).toBeUndefined();
    await p.invalidateCredentials('all');
    expect(store.keys()).toEqual([]);
    expect(await p.discoveryState()).toBeUndefined();
  });
});

describe('SDK 2.x hooks: prepareTokenRequest, dpop, the issuer context', () => {
  it('prepareTokenRequest leaves the code exchange to the SDK, at the issuer the sign-in started at only', () => {
    const p = provider();
    expect(() => p.prepareTokenRequest()).toThrow(expect.objectContaining({ code: 'ERR_SIGNIN_FAILED' }));
    p.saveDiscoveryState({ authorizationServerUrl: AS, authorizationServerMetadata: metadata() });
    p.saveCodeVerifier('verifier');
    expect(p.prepareTokenRequest('mcp:tools')).toBeUndefined();
    p.saveDiscoveryState({
      authorizationServerUrl: 'https://new-as.example.com/',
      authorizationServerMetadata: metadata({ issuer: 'https://new-as.example.com' }),
    });
    expect(() => p.prepareTokenRequest()).toThrow(
      expect.objectContaining({ code: 'ERR_SIGNIN_ISSUER_MISMATCH' }),
    );
  });

  it('dpop() is undefined unless dpop is on; on, one session per provider with the store key', async () => {
    expect(await provider().dpop()).toBeUndefined();
    const store = new MemoryTokenStore();
    const p = provider({ store, dpop: true });
    const session = await p.dpop();
    expect(await p.dpop()).toBe(session);
    expect(session?.alg).toBe('ES256');
    expect(session?.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const proof = await session?.buildProof({ htm: 'post', htu: 'https://as.example.com/token?x=1' });
    const header = decodeProtectedHeader(proof ?? '');
    const payload = decodeJwt(proof ?? '');
    expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256', jwk: session?.publicJwk });
    expect(payload).toMatchObject({ htm: 'POST', htu: 'https://as.example.com/token' });
    session?.rememberNonce('https://as.example.com/anything', 'n-1');
    expect(session?.nonceFor('https://as.example.com/token')).toBe('n-1');
  });

  it('saveTokens with only the SDK 2.x issuer context (no discovery seen) keys the tokens by that issuer', async () => {
    const store = new MemoryTokenStore();
    const p = provider({ store, preRegistered: { clientId: 'pre-1', issuer: 'https://as.example.com' } });
    await p.prepare();
    await p.clientInformation({ issuer: 'https://as.example.com' });
    await p.saveTokens({ access_token: 't', token_type: 'Bearer' }, { issuer: 'https://as.example.com' });
    expect((await p.tokens({ issuer: 'https://as.example.com' }))?.access_token).toBe('t');
    expect((await provider({ store }).tokens())?.issuer).toBe('https://as.example.com');
  });
});
