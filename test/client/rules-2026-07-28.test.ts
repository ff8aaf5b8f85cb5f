/**
 * The client rules of MCP 2026-07-28, one at a time, on the provider and the signing-in fetch
 * (no SDK involved): the RFC 9207 `iss` table (SEP-2468), the metadata `issuer` (RFC 8414 §3.3),
 * credentials keyed by issuer (SEP-2352), the scope union and its retry limit (SEP-2350),
 * `offline_access` (SEP-2207), `application_type` (SEP-837) and the resource check.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { judgeCallback } from '../../src/client/callback-params.js';
import { applicationTypeFor } from '../../src/client/client-profile.js';
import type { AuthorizationServerMetadataLike } from '../../src/client/oauth-types.js';
import { CimdOAuthClientProvider } from '../../src/client/provider.js';
import { resourceAllowed } from '../../src/client/provider-checks.js';
import type { CimdClientProviderOptions } from '../../src/client/provider-options.js';
import { createSignInFetch, type SdkAuth, unionScopes } from '../../src/client/sign-in-fetch.js';
import { MemoryTokenStore } from '../../src/client/token-store.js';
import { CLIENT_ID, publicDocument } from './helpers/documents.js';

const ISSUER = 'https://as.example.com';

function metadata(overrides: Partial<AuthorizationServerMetadataLike> = {}): AuthorizationServerMetadataLike {
  return {
    issuer: ISSUER,
    authorization_endpoint: `${ISSUER}/authorize`,
    token_endpoint: `${ISSUER}/token`,
    registration_endpoint: `${ISSUER}/register`,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    ...overrides,
  };
}

const providers: CimdOAuthClientProvider[] = [];
afterEach(async () => {
  for (const p of providers.splice(0)) await p.cancelSignIn();
});

function provider(options: Partial<CimdClientProviderOptions> = {}): CimdOAuthClientProvider {
  const p = new CimdOAuthClientProvider({
    serverUrl: 'https://mcp.example.com/mcp',
    clientMetadataUrl: CLIENT_ID,
    document: publicDocument(),
    onAuthorizationUrl: () => {},
    ...options,
  });
  providers.push(p);
  return p;
}

/** Starts a sign-in with an authorization URL as the SDK would build it; returns the URL handed out. */
async function startSignIn(
  p: CimdOAuthClientProvider,
  params: Record<string, string>,
  handedOut: URL[],
): Promise<void> {
  await p.prepare();
  const url = new URL(`${ISSUER}/authorize`);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', CLIENT_ID);
  url.searchParams.set('redirect_uri', p.redirectUrl);
  url.searchParams.set('state', p.state());
  url.searchParams.set('code_challenge', 'x'.repeat(43));
  url.searchParams.set('code_challenge_method', 'S256');
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  p.saveCodeVerifier('v'.repeat(43));
  await p.redirectToAuthorization(url);
  handedOut.push(url);
}

describe('SEP-2468: the RFC 9207 iss table, by plain string comparison', () => {
  const query = (iss?: string) =>
    new URLSearchParams(
      iss === undefined ? 'code=c&state=s' : `code=c&state=s&iss=${encodeURIComponent(iss)}`,
    );

  it('row 1: advertised and present: the same string is accepted', () => {
    expect(judgeCallback(query(ISSUER), { state: 's', issuer: ISSUER, issuerRequired: true }).code).toBe('c');
  });

  it('row 1: advertised and present: another issuer is refused, before any error parameter is read', () => {
    const params = new URLSearchParams(
      `error=access_denied&state=s&iss=${encodeURIComponent('https://evil.example.com')}`,
    );
    expect(() => judgeCallback(params, { state: 's', issuer: ISSUER, issuerRequired: true })).toThrow(
      expect.objectContaining({ code: 'ERR_SIGNIN_ISSUER_MISMATCH' }),
    );
  });

  it('row 1: a trailing slash is a mismatch (no URL normalization)', () => {
    expect(() =>
      judgeCallback(query(`${ISSUER}/`), { state: 's', issuer: ISSUER, issuerRequired: true }),
    ).toThrow(expect.objectContaining({ code: 'ERR_SIGNIN_ISSUER_MISMATCH' }));
    expect(() =>
      judgeCallback(query('https://AS.example.com'), { state: 's', issuer: ISSUER, issuerRequired: true }),
    ).toThrow(expect.objectContaining({ code: 'ERR_SIGNIN_ISSUER_MISMATCH' }));
  });

  it('row 2: advertised and missing: refused', () => {
    expect(() => judgeCallback(query(), { state: 's', issuer: ISSUER, issuerRequired: true })).toThrow(
      expect.objectContaining({ code: 'ERR_SIGNIN_ISSUER_MISMATCH' }),
    );
  });

  it('row 3: not advertised and present: still compared (a wrong one refused, the right one accepted)', () => {
    expect(judgeCallback(query(ISSUER), { state: 's', issuer: ISSUER, issuerRequired: false }).iss).toBe(
      ISSUER,
    );
    expect(() =>
      judgeCallback(query('https://evil.example.com'), { state: 's', issuer: ISSUER, issuerRequired: false }),
    ).toThrow(expect.objectContaining({ code: 'ERR_SIGNIN_ISSUER_MISMATCH' }));
  });

  it('row 4: not advertised and missing: proceeds', () => {
    expect(judgeCallback(query(), { state: 's', issuer: ISSUER, issuerRequired: false }).code).toBe('c');
  });

  it('the validated issuer is stored with the PKCE verifier', async () => {
    const p = provider();
    await p.prepare();
    p.saveDiscoveryState({ authorizationServerUrl: `${ISSUER}/`, authorizationServerMetadata: metadata() });
    p.saveCodeVerifier('v'.repeat(43));
    expect(p.signInIssuer).toBe(ISSUER);
    expect(p.codeVerifier()).toBe('v'.repeat(43));
  });
});

describe('RFC 8414 §3.3: the metadata issuer must be the one discovery asked for', () => {
  it('metadata naming another issuer is refused, and its endpoints never used', async () => {
    const p = provider();
    await p.prepare();
    expect(() =>
      p.saveDiscoveryState({
        authorizationServerUrl: ISSUER,
        authorizationServerMetadata: metadata({ issuer: 'https://evil.example.com' }),
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_SIGNIN_ISSUER_MISMATCH' }));
    expect(await p.discoveryState()).toBeUndefined();
  });

  it('the same string is accepted, and a discovery URL ending in / against an issuer without it', async () => {
    const p = provider();
    await p.prepare();
    expect(() =>
      p.saveDiscoveryState({ authorizationServerUrl: ISSUER, authorizationServerMetadata: metadata() }),
    ).not.toThrow();
    expect(() =>
      p.saveDiscoveryState({ authorizationServerUrl: `${ISSUER}/`, authorizationServerMetadata: metadata() }),
    ).not.toThrow();
    expect(() =>
      p.saveDiscoveryState({
        authorizationServerUrl: `${ISSUER}/tenant`,
        authorizationServerMetadata: metadata({ issuer: `${ISSUER}/tenant/` }),
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_SIGNIN_ISSUER_MISMATCH' }));
  });
});

describe('SEP-2352: credentials keyed by the authorization server issuer', () => {
  const OTHER = 'https://as2.example.com';

  it('a registration made at one server is never presented to another (the client registers again)', async () => {
    const store = new MemoryTokenStore();
    const p = provider({ store });
    await p.prepare();
    p.saveDiscoveryState({ authorizationServerUrl: ISSUER, authorizationServerMetadata: metadata() });
    await p.saveClientInformation({ client_id: 'dcr-at-as1', redirect_uris: [p.redirectUrl] });
    expect((await p.clientInformation({ issuer: ISSUER }))?.client_id).toBe('dcr-at-as1');

    p.saveDiscoveryState({
      authorizationServerUrl: OTHER,
      authorizationServerMetadata: metadata({ issuer: OTHER, registration_endpoint: `${OTHER}/register` }),
    });
    expect(await p.clientInformation({ issuer: OTHER })).toBeUndefined();
    await p.saveClientInformation({ client_id: 'dcr-at-as2', redirect_uris: [p.redirectUrl] });
    expect((await p.clientInformation({ issuer: OTHER }))?.client_id).toBe('dcr-at-as2');

    p.saveDiscoveryState({ authorizationServerUrl: ISSUER, authorizationServerMetadata: metadata() });
    expect((await p.clientInformation({ issuer: ISSUER }))?.client_id).toBe('dcr-at-as1');
  });

  it('tokens from one server are not returned once the resource moves to another', async () => {
    const store = new MemoryTokenStore();
    const meta = metadata({ client_id_metadata_document_supported: true });
    const p = provider({ store });
    await p.prepare();
    p.saveDiscoveryState({ authorizationServerUrl: ISSUER, authorizationServerMetadata: meta });
    await p.clientInformation({ issuer: ISSUER });
    await p.saveTokens({ access_token: 'from-as1', token_type: 'Bearer' });
    expect((await p.tokens({ issuer: ISSUER }))?.access_token).toBe('from-as1');
    p.saveDiscoveryState({
      authorizationServerUrl: OTHER,
      authorizationServerMetadata: { ...meta, issuer: OTHER },
    });
    await p.clientInformation({ issuer: OTHER });
    expect(await p.tokens({ issuer: OTHER })).toBeUndefined();
  });

  it('a CIMD client_id is portable: the same document URL at both servers, nothing registered', async () => {
    const store = new MemoryTokenStore();
    const p = provider({ store });
    await p.prepare();
    for (const issuer of [ISSUER, OTHER]) {
      p.saveDiscoveryState({
        authorizationServerUrl: issuer,
        authorizationServerMetadata: metadata({ issuer, client_id_metadata_document_supported: true }),
      });
      expect(await p.clientInformation({ issuer })).toEqual({ client_id: CLIENT_ID, issuer });
    }
    expect(store.keys()).toEqual([]);
  });
});

describe('SEP-2350: step-up asks for the union, with a retry limit', () => {
  it('unionScopes keeps the earlier scopes and adds the challenged ones once', () => {
    expect(unionScopes('mcp:basic', 'mcp:basic mcp:write')).toBe('mcp:basic mcp:write');
    expect(unionScopes(undefined, 'a')).toBe('a');
    expect(unionScopes(undefined, undefined)).toBeUndefined();
  });

  it('asks for the union of requested and challenged scopes, and stops after 3 authorization requests', async () => {
    const requested: (string | undefined)[] = [];
    let holding: string | undefined;
    const fake = {
      lastRequestedScope: undefined as string | undefined,
      tokens: async () =>
        holding === undefined ? undefined : { access_token: 't', token_type: 'Bearer', scope: holding },
      invalidateCredentials: async () => {
        holding = undefined;
      },
      waitForAuthorizationResponse: async () => ({ code: 'c' }),
    };
    let challenge = 0;
    const sdk: SdkAuth = {
      auth: async (_provider, options) => {
        if (options.authorizationCode !== undefined) {
          holding = fake.lastRequestedScope;
          return 'AUTHORIZED';
        }
        requested.push(options.scope);
        fake.lastRequestedScope = options.scope;
        return 'REDIRECT';
      },
      extractWWWAuthenticateParams: (response) => {
        const header = response.headers.get('www-authenticate') ?? '';
        const scope = /scope="([^"]*)"/.exec(header)?.[1];
        const error = /error="([^"]*)"/.exec(header)?.[1];
        return { ...(scope === undefined ? {} : { scope }), ...(error === undefined ? {} : { error }) };
      },
    };
    const server = async (_url: string | URL, init?: RequestInit) => {
      const auth = new Headers(init?.headers).get('authorization');
      if (auth === null)
        return new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer scope="s0"' } });
      challenge += 1;
      return new Response(null, {
        status: 403,
        headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="s${challenge}"` },
      });
    };
    const signInFetch = createSignInFetch({
      provider: fake as unknown as CimdOAuthClientProvider,
      serverUrl: 'https://mcp.example.com/mcp',
      sdk,
      fetch: server,
    });
    // One step-up per request (then the request's 403 goes back to the caller).
    expect((await signInFetch('https://mcp.example.com/mcp', { method: 'POST' })).status).toBe(403);
    expect(requested).toEqual(['s0', 's0 s1']);
    expect((await signInFetch('https://mcp.example.com/mcp', { method: 'POST' })).status).toBe(403);
    // s2 answered the retry after the first step-up; this request's own challenge is s3.
    expect(requested).toEqual(['s0', 's0 s1', 's0 s1 s3']);
    // The limit: no fourth authorization request, however often the server refuses.
    for (let i = 0; i < 3; i += 1) {
      expect((await signInFetch('https://mcp.example.com/mcp', { method: 'POST' })).status).toBe(403);
    }
    expect(requested).toHaveLength(3);
  });
});

describe('SEP-2207: offline_access only when the authorization server lists it', () => {
  it('added when the server lists it (the client may use refresh tokens)', async () => {
    const p = provider();
    await p.prepare();
    p.saveDiscoveryState({
      authorizationServerUrl: ISSUER,
      authorizationServerMetadata: metadata({ scopes_supported: ['mcp', 'offline_access'] }),
    });
    const handedOut: URL[] = [];
    await startSignIn(p, { scope: 'mcp' }, handedOut);
    expect(handedOut[0]?.searchParams.get('scope')).toBe('mcp offline_access');
  });

  it('removed when the server does not list it, even if the resource metadata offered it', async () => {
    const p = provider();
    await p.prepare();
    p.saveDiscoveryState({
      authorizationServerUrl: ISSUER,
      authorizationServerMetadata: metadata({ scopes_supported: ['mcp'] }),
    });
    const handedOut: URL[] = [];
    await startSignIn(p, { scope: 'mcp offline_access' }, handedOut);
    expect(handedOut[0]?.searchParams.get('scope')).toBe('mcp');
  });
});

describe('SEP-837: application_type in every Dynamic Client Registration', () => {
  it('native for loopback and private-scheme redirect URIs, web otherwise', () => {
    expect(applicationTypeFor(['http://127.0.0.1/callback'])).toBe('native');
    expect(applicationTypeFor(['http://localhost:3000/cb'])).toBe('native');
    expect(applicationTypeFor(['com.example.app:/cb'])).toBe('native');
    expect(applicationTypeFor(['https://app.example.com/cb'])).toBe('web');
  });

  it('the registration body carries it, derived when the document does not say', async () => {
    const { application_type: _omit, ...document } = publicDocument();
    const p = provider({ document });
    await p.prepare();
    expect(p.clientMetadata.application_type).toBe('native');
  });
});

describe('resource mismatch: refused before /authorize', () => {
  it('resourceAllowed: the server itself or a path prefix on its origin', () => {
    expect(resourceAllowed('https://mcp.example.com/mcp', 'https://mcp.example.com/mcp')).toBe(true);
    expect(resourceAllowed('https://mcp.example.com/', 'https://mcp.example.com/mcp')).toBe(true);
    expect(resourceAllowed('https://mcp.example.com/other', 'https://mcp.example.com/mcp')).toBe(false);
    expect(resourceAllowed('https://evil.example.com/mcp', 'https://mcp.example.com/mcp')).toBe(false);
    expect(resourceAllowed('https://mcp.example.com/m', 'https://mcp.example.com/mcp')).toBe(false);
  });

  it('an authorization request naming another resource is never handed out', async () => {
    const p = provider();
    await p.prepare();
    p.saveDiscoveryState({ authorizationServerUrl: ISSUER, authorizationServerMetadata: metadata() });
    const handedOut: URL[] = [];
    await expect(
      startSignIn(p, { resource: 'https://evil.example.com/mcp' }, handedOut),
    ).rejects.toMatchObject({
      code: 'ERR_SIGNIN_RESOURCE_MISMATCH',
    });
    expect(handedOut).toEqual([]);
    expect(p.signInPending).toBe(false);
  });
});
