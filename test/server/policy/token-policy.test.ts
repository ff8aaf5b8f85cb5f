/**
 * The client policy at /token (every grant: the code, refresh, client_credentials) and the
 * server-wide redirect URI patterns at /register. Real CIMD documents on an HTTPS loopback host,
 * the real server on the memory store.
 */
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizationServerOptions } from '../../../src/server/authorization-server/options.js';
import {
  type CimdHost,
  codeParams,
  createKey,
  createTestServer,
  expectOAuthError,
  expectTokens,
  ISSUER,
  keyClient,
  OTHER_RESOURCE,
  publicClient,
  RESOURCE,
  startCimdHost,
  type TestKey,
  type TestServer,
} from '../token/harness.js';

let host: CimdHost;
let key: TestKey;
let t: TestServer | undefined;

beforeAll(async () => {
  host = await startCimdHost();
  key = await createKey('k1');
});
afterAll(async () => {
  await host.close();
});
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function server(options: Partial<AuthorizationServerOptions>): Promise<TestServer> {
  t = await createTestServer(host, options);
  return t;
}

describe('the client policy at /token', () => {
  it('a code for a resource the client may no longer use is refused with invalid_target', async () => {
    const client = publicClient(host);
    const s = await server({
      clientPolicy: { resources: [{ resource: RESOURCE, clients: ['other.example'] }] },
    });
    const issued = await s.issueCode(client.clientId);
    const body = await expectOAuthError(await s.token(codeParams(client.clientId, issued)), 'invalid_target');
    expect(body.error_description).toMatch(/client policy/);
  });

  it('a code beyond the resource scopes is refused with invalid_scope; within them it gets tokens', async () => {
    const client = publicClient(host);
    const s = await server({ clientPolicy: { resources: [{ resource: RESOURCE, scopes: ['mcp:read'] }] } });
    const wide = await s.issueCode(client.clientId, { scope: 'mcp:read mcp:admin' });
    await expectOAuthError(await s.token(codeParams(client.clientId, wide)), 'invalid_scope');
    const narrow = await s.issueCode(client.clientId, { scope: 'mcp:read' });
    const tokens = await expectTokens(await s.token(codeParams(client.clientId, narrow)));
    expect(tokens.scope).toBe('mcp:read');
    expect(tokens.refresh_token).toBeDefined();
  });

  it('without refresh_token among a resource grants, the code gets no refresh token', async () => {
    const client = publicClient(host);
    const s = await server({
      clientPolicy: { resources: [{ resource: RESOURCE, grants: ['authorization_code'] }] },
    });
    const issued = await s.issueCode(client.clientId);
    const tokens = await expectTokens(await s.token(codeParams(client.clientId, issued)));
    expect(tokens.refresh_token).toBeUndefined();
  });

  it('a refresh is checked against the policy as it is now (tightened after consent)', async () => {
    const client = publicClient(host);
    let refuseRefresh = false;
    const s = await server({
      clientPolicy: {
        resources: [{ resource: RESOURCE, clients: [client.clientId] }],
        decide: ({ grantType, decision }) =>
          grantType === 'refresh_token' && refuseRefresh
            ? { allowed: false, error: 'invalid_target', reason: 'tightened' }
            : decision,
      },
    });
    const issued = await s.issueCode(client.clientId);
    const first = await expectTokens(await s.token(codeParams(client.clientId, issued)));
    const second = await expectTokens(
      await s.token({
        grant_type: 'refresh_token',
        client_id: client.clientId,
        refresh_token: first.refresh_token ?? '',
      }),
    );
    refuseRefresh = true;
    const body = await expectOAuthError(
      await s.token({
        grant_type: 'refresh_token',
        client_id: client.clientId,
        refresh_token: second.refresh_token ?? '',
      }),
      'invalid_target',
    );
    expect(body.error_description).toMatch(/tightened/);
  });

  it('client_credentials: refused for a resource whose grants leave it out, allowed for another', async () => {
    const agent = keyClient(host, [key], 'jwks_uri', {
      client_name: 'Agent',
      grant_types: ['client_credentials'],
      scope: 'mcp:read',
    });
    const s = await server({
      clientCredentials: { allow: [agent.clientId] },
      clientPolicy: { resources: [{ resource: RESOURCE, grants: ['authorization_code', 'refresh_token'] }] },
    });
    const ask = async (resource: string) =>
      s.token({ grant_type: 'client_credentials', resource, ...(await s.auth(agent.clientId, key)) });
    await expectOAuthError(await ask(RESOURCE), 'unauthorized_client');
    const tokens = await expectTokens(await ask(OTHER_RESOURCE));
    expect(decodeJwt(tokens.access_token).aud).toBe(OTHER_RESOURCE);
  });

  it('CIMD off: a URL client_id is refused at /token too', async () => {
    const client = publicClient(host);
    const s = await server({ clientPolicy: { cimd: false } });
    const body = await expectOAuthError(
      await s.token({
        grant_type: 'refresh_token',
        client_id: client.clientId,
        refresh_token: 'x'.repeat(43),
      }),
      'invalid_client',
    );
    expect(body.error_description).toMatch(/CIMD is turned off/);
  });
});

describe('server-wide redirect URI patterns at /register', () => {
  function register(s: TestServer, redirectUris: string[]): Promise<Response> {
    return s.server.fetch(
      new Request(`${ISSUER}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'DCR', application_type: 'native', redirect_uris: redirectUris }),
      }),
    );
  }

  it('a redirect URI outside them is invalid_redirect_uri; inside them it registers', async () => {
    const s = await server({
      clientPolicy: { allowedRedirectUris: ['http://127.0.0.1:*/callback', 'https://*.example.com/cb'] },
    });
    const refused = await expectOAuthError(
      await register(s, ['http://127.0.0.1/callback', 'https://evil.test/cb']),
      'invalid_redirect_uri',
    );
    expect(refused.error_description).toMatch(/evil\.test/);
    const ok = await register(s, ['http://127.0.0.1/callback', 'https://app.example.com/cb']);
    expect(ok.status).toBe(201);
  });
});
