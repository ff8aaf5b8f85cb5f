import { afterAll, describe, expect, it } from 'vitest';
import { createAuthorizationServer, devLogin } from '../../../src/server/index.js';
import { createMemoryStore } from '../../../src/store/index.js';

describe('authorization server metadata (RFC 8414, DISC-08)', () => {
  const store = createMemoryStore();
  const server = createAuthorizationServer({
    issuer: 'http://127.0.0.1:4000',
    resources: ['http://127.0.0.1:4001/mcp'],
    store,
    authenticator: devLogin(),
  });
  afterAll(async () => {
    await server.close();
    await store.close();
  });

  it.each(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'])(
    'CIMD-AS-16 / DISC-08: %s advertises CIMD, none + private_key_jwt, S256 and iss',
    async (path) => {
      const response = await server.fetch(new Request(`http://127.0.0.1:4000${path}`));
      expect(response.status).toBe(200);
      const metadata = await response.json();
      expect(metadata).toMatchObject({
        issuer: 'http://127.0.0.1:4000',
        authorization_endpoint: 'http://127.0.0.1:4000/authorize',
        token_endpoint: 'http://127.0.0.1:4000/token',
        registration_endpoint: 'http://127.0.0.1:4000/register',
        jwks_uri: 'http://127.0.0.1:4000/jwks',
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
        client_id_metadata_document_supported: true,
        authorization_response_iss_parameter_supported: true,
      });
      expect(metadata.token_endpoint_auth_signing_alg_values_supported).not.toContain('none');
      expect(metadata.token_endpoint_auth_signing_alg_values_supported).toContain('ES256');
    },
  );

  it('PKJ-15: signing algorithms never include none or HS*', async () => {
    const metadata = await (
      await server.fetch(new Request('http://127.0.0.1:4000/.well-known/oauth-authorization-server'))
    ).json();
    for (const alg of metadata.token_endpoint_auth_signing_alg_values_supported)
      expect(alg).not.toMatch(/^(none|HS)/);
  });

  it('CIMD-only mode drops the registration endpoint', async () => {
    const cimdOnly = createAuthorizationServer({
      issuer: 'https://auth.example.com/tenant',
      resources: ['https://mcp.example.com/mcp'],
      store,
      authenticator: { name: 'none', authenticate: async () => undefined },
      registration: false,
    });
    const response = await cimdOnly.fetch(
      new Request('https://auth.example.com/.well-known/oauth-authorization-server/tenant'),
    );
    const metadata = await response.json();
    expect(metadata.issuer).toBe('https://auth.example.com/tenant');
    expect(metadata.token_endpoint).toBe('https://auth.example.com/tenant/token');
    expect(metadata).not.toHaveProperty('registration_endpoint');
    const inserted = await cimdOnly.fetch(
      new Request('https://auth.example.com/tenant/.well-known/openid-configuration'),
    );
    expect(inserted.status).toBe(200);
    await cimdOnly.close();
  });

  it('refuses an issuer with a trailing slash, a query, or plain http off loopback', () => {
    const base = { resources: ['https://mcp.example.com/mcp'], store, authenticator: devLogin() };
    expect(() => createAuthorizationServer({ ...base, issuer: 'http://127.0.0.1:4000/' })).toThrow(/slash/);
    expect(() => createAuthorizationServer({ ...base, issuer: 'https://a.example.com?x=1' })).toThrow(
      /query/,
    );
    expect(() => createAuthorizationServer({ ...base, issuer: 'http://auth.example.com' })).toThrow(/https/);
  });

  it('refuses the development login on a non-loopback issuer', () => {
    expect(() =>
      createAuthorizationServer({
        issuer: 'https://auth.example.com',
        resources: ['https://mcp.example.com/mcp'],
        store,
        authenticator: devLogin(),
      }),
    ).toThrow(/loopback/);
  });

  it('serves the public signing keys at /jwks and a health route', async () => {
    const jwks = await (await server.fetch(new Request('http://127.0.0.1:4000/jwks'))).json();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const health = await server.fetch(new Request('http://127.0.0.1:4000/health'));
    expect(await health.json()).toEqual({ status: 'ok' });
  });
});
