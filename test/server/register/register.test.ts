/**
 * /register (RFC 7591 Dynamic Client Registration): validation with the document rules that
 * apply to registered clients, generated ids that never look like CIMD URLs (CIMD-AS-27), and
 * registered clients that then work at /token; CIMD-only mode has no /register.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateClientId } from '../../../src/server/index.js';
import {
  type CimdHost,
  createKey,
  createTestServer,
  expectOAuthError,
  expectTokens,
  ISSUER,
  REDIRECT_URI,
  startCimdHost,
  type TestKey,
  type TestServer,
} from '../token/harness.js';

let host: CimdHost;
let key: TestKey;
let t: TestServer;

beforeAll(async () => {
  host = await startCimdHost();
  key = await createKey('k1');
});
afterAll(async () => {
  await host.close();
});
afterEach(async () => {
  await t?.close();
});

const BASE = {
  client_name: 'Registered MCP client',
  application_type: 'native',
  redirect_uris: ['http://127.0.0.1/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
};

function register(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return t.server.fetch(
    new Request(`${ISSUER}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

async function expectRegistered(
  response: Response,
): Promise<Record<string, unknown> & { client_id: string }> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status: 201 });
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return JSON.parse(text) as Record<string, unknown> & { client_id: string };
}

describe('successful registration', () => {
  it('201 with a generated client_id, client_id_issued_at and the accepted metadata (defaults written out)', async () => {
    t = await createTestServer(host);
    const body = await expectRegistered(
      await register({
        client_name: 'Minimal',
        redirect_uris: ['http://127.0.0.1/callback'],
        application_type: 'native',
      }),
    );
    expect(body.client_id).toMatch(/^dcr_[A-Za-z0-9_-]{22}$/);
    expect(body).toEqual({
      client_id: body.client_id,
      client_id_issued_at: Math.floor(t.clock.now() / 1000),
      client_name: 'Minimal',
      redirect_uris: ['http://127.0.0.1/callback'],
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    });
    expect(body).not.toHaveProperty('client_secret');
  });

  it('the client is saved and resolves through the registry', async () => {
    t = await createTestServer(host);
    const body = await expectRegistered(await register(BASE));
    expect((await t.store.getClient(body.client_id))?.metadata).toMatchObject(BASE);
    const client = await t.server.context.registry.resolveClient(body.client_id);
    expect(client).toMatchObject({
      clientId: body.client_id,
      authMethod: 'none',
      grantTypes: ['authorization_code', 'refresh_token'],
      provenance: { source: 'registered' },
    });
  });

  it('a registered public client redeems a code and refreshes', async () => {
    t = await createTestServer(host);
    const { client_id: clientId } = await expectRegistered(await register(BASE));
    const issued = await t.issueCode(clientId);
    const tokens = await expectTokens(
      await t.token({
        grant_type: 'authorization_code',
        client_id: clientId,
        code: issued.code,
        code_verifier: issued.verifier,
        redirect_uri: REDIRECT_URI,
      }),
    );
    await expectTokens(
      await t.token({
        grant_type: 'refresh_token',
        client_id: clientId,
        refresh_token: tokens.refresh_token ?? '',
      }),
    );
  });

  it('a registered private_key_jwt client with inline jwks authenticates with assertions', async () => {
    t = await createTestServer(host);
    const { client_id: clientId, ...registered } = await expectRegistered(
      await register({
        ...BASE,
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [key.publicJwk] },
      }),
    );
    expect(registered.jwks).toEqual({ keys: [key.publicJwk] });
    const issued = await t.issueCode(clientId);
    const params = { grant_type: 'authorization_code', code: issued.code, code_verifier: issued.verifier };
    await expectOAuthError(await t.token({ ...params, client_id: clientId }), 'invalid_client');
    await expectTokens(await t.token({ ...params, ...(await t.auth(clientId, key)) }));
  });

  it.each([
    ['an https URI', 'https://app.example.com/callback'],
    ['a loopback http URI with a port', 'http://127.0.0.1:8080/callback'],
    ['localhost', 'http://localhost/callback'],
    ['[::1]', 'http://[::1]/callback'],
    ['a reverse-domain private-use scheme', 'com.example.app:/oauth/callback'],
  ])('accepts %s as a redirect URI', async (_name, uri) => {
    t = await createTestServer(host);
    const body = await expectRegistered(await register({ ...BASE, redirect_uris: [uri] }));
    expect(body.redirect_uris).toEqual([uri]);
  });

  it('ignores client_id, client_id_issued_at and software_statement in the request', async () => {
    t = await createTestServer(host);
    const body = await expectRegistered(
      await register({
        ...BASE,
        client_id: 'https://attacker.example.com/client.json',
        client_id_issued_at: 1,
        software_statement: 'eyJhbGciOiJub25lIn0.e30.',
      }),
    );
    expect(body.client_id).toMatch(/^dcr_/);
    expect(body.client_id_issued_at).not.toBe(1);
    expect(body).not.toHaveProperty('software_statement');
  });

  it('drops unknown members, unsupported grant types and malformed display URLs', async () => {
    t = await createTestServer(host);
    const json = JSON.stringify({
      ...BASE,
      grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      logo_uri: 'javascript:alert(1)',
      client_uri: 'https://app.example.com',
      is_admin: true,
    }).replace(/}$/, ',"__proto__":{"polluted":true}}');
    const body = await expectRegistered(await register(json));
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(Object.keys(body)).not.toContain('__proto__');
    expect(body.grant_types).toEqual(['authorization_code', 'refresh_token']);
    expect(body).not.toHaveProperty('logo_uri');
    expect(body).not.toHaveProperty('is_admin');
    expect(body.client_uri).toBe('https://app.example.com');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts application/json with a charset, and CORS for browser clients', async () => {
    t = await createTestServer(host);
    const response = await register(BASE, {
      'content-type': 'application/json; charset=utf-8',
      origin: 'https://inspector.example.com',
    });
    await expectRegistered(response);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('CIMD-AS-27: generated client ids never look like a CIMD URL', () => {
  it('CIMD-AS-27: 10 000 generated ids: none starts with https:// (or any scheme), all unique', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = generateClientId();
      expect(id).not.toMatch(/^https:\/\//i);
      expect(id).not.toMatch(/^[a-z][a-z0-9+.-]*:/i);
      ids.add(id);
    }
    expect(ids.size).toBe(10_000);
  });

  it('CIMD-AS-27: 300 registrations through /register: none gets an https:// client_id', async () => {
    t = await createTestServer(host);
    const ids = await Promise.all(
      Array.from({ length: 300 }, async () => (await expectRegistered(await register(BASE))).client_id),
    );
    expect(ids.filter((id) => /^https:\/\//i.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(300);
  });
});

describe('refused registrations', () => {
  it.each([
    ['client_secret', { client_secret: 'hunter2' }],
    ['client_secret_expires_at', { client_secret_expires_at: 0 }],
  ])('CIMD-DOC-06: %s in the request is invalid_client_metadata', async (member, extra) => {
    t = await createTestServer(host);
    const body = await expectOAuthError(await register({ ...BASE, ...extra }), 'invalid_client_metadata');
    expect(body.error_description).toContain(member);
  });

  it.each(['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'tls_client_auth', 'bogus'])(
    'CIMD-DOC-05: token_endpoint_auth_method %s is invalid_client_metadata',
    async (method) => {
      t = await createTestServer(host);
      const body = await expectOAuthError(
        await register({ ...BASE, token_endpoint_auth_method: method }),
        'invalid_client_metadata',
      );
      expect(body.error_description).toMatch(/CIMD-DOC-05/);
    },
  );

  it.each([
    ['no keys', () => ({})],
    ['an empty key set', () => ({ jwks: { keys: [] } })],
    [
      'both jwks and jwks_uri',
      () => ({ jwks: { keys: [key.publicJwk] }, jwks_uri: 'https://app.example.com/jwks.json' }),
    ],
  ])('CIMD-DOC-08/-12: private_key_jwt with %s is invalid_client_metadata', async (_name, extra) => {
    t = await createTestServer(host);
    await expectOAuthError(
      await register({
        ...BASE,
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        ...extra(),
      }),
      'invalid_client_metadata',
    );
  });

  it('CIMD-KEY-03: a jwks carrying a private key member is invalid_client_metadata', async () => {
    t = await createTestServer(host);
    const { exportJWK } = await import('jose');
    const privateJwk = { ...(await exportJWK(key.privateKey)), kid: 'k1' };
    const body = await expectOAuthError(
      await register({
        ...BASE,
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [privateJwk] },
      }),
      'invalid_client_metadata',
    );
    expect(body.error_description).toMatch(/CIMD-KEY-03/);
    expect(body.error_description).not.toContain(String(privateJwk.d));
  });

  it.each([
    ['missing', { redirect_uris: undefined }],
    ['empty', { redirect_uris: [] }],
    ['http on a non-loopback host (CIMD-DOC-10)', { redirect_uris: ['http://app.example.com/cb'] }],
    ['a scheme without a dot (RURI-06)', { redirect_uris: ['myapp://callback'] }],
    ['a fragment', { redirect_uris: ['https://app.example.com/cb#x'] }],
    ['userinfo', { redirect_uris: ['https://user@app.example.com/cb'] }],
    ['a relative URI', { redirect_uris: ['/callback'] }],
    ['javascript:', { redirect_uris: ['javascript:alert(1)'] }],
    ['a string instead of an array', { redirect_uris: 'https://app.example.com/cb' }],
    ['a number in the array', { redirect_uris: [42] }],
  ])('redirect_uris %s is invalid_redirect_uri', async (_name, change) => {
    t = await createTestServer(host);
    await expectOAuthError(await register({ ...BASE, ...change }), 'invalid_redirect_uri');
  });

  it.each([
    ['client_name missing (MCP)', { client_name: undefined }],
    ['client_name empty', { client_name: '   ' }],
    ['client_name not a string', { client_name: 42 }],
    ['the implicit grant', { grant_types: ['authorization_code', 'implicit'] }],
    ['grant_types without authorization_code', { grant_types: ['refresh_token'] }],
    ['a token response type', { response_types: ['code', 'token'] }],
    [
      'a non-https jwks_uri',
      { jwks_uri: 'http://app.example.com/jwks.json', token_endpoint_auth_method: 'private_key_jwt' },
    ],
    ['contacts not an array', { contacts: 'me@example.com' }],
    ['scope not a string', { scope: ['a'] }],
  ])('%s is invalid_client_metadata', async (_name, change) => {
    t = await createTestServer(host);
    await expectOAuthError(await register({ ...BASE, ...change }), 'invalid_client_metadata');
  });

  it('a scope outside scopesSupported is invalid_client_metadata', async () => {
    t = await createTestServer(host, { scopesSupported: ['mcp:tools'] });
    await expectRegistered(await register({ ...BASE, scope: 'mcp:tools' }));
    const body = await expectOAuthError(
      await register({ ...BASE, scope: 'mcp:tools admin' }),
      'invalid_client_metadata',
    );
    expect(body.error_description).toContain('admin');
  });

  it.each([
    ['not JSON', '{"client_name":', 'invalid_client_metadata'],
    ['a JSON array', '[]', 'invalid_client_metadata'],
    ['a JSON string', '"x"', 'invalid_client_metadata'],
    ['JSON null', 'null', 'invalid_client_metadata'],
    ['an empty body', '', 'invalid_client_metadata'],
  ])('a body that is %s is %s', async (_name, body, error) => {
    t = await createTestServer(host);
    await expectOAuthError(await register(body), error);
  });

  it('a form body is invalid_request; a body over 16 KiB is 413', async () => {
    t = await createTestServer(host);
    await expectOAuthError(
      await register('client_name=x', { 'content-type': 'application/x-www-form-urlencoded' }),
      'invalid_request',
    );
    const big = { ...BASE, client_name: 'x'.repeat(17_000) };
    await expectOAuthError(await register(big), 'invalid_request', 413);
  });

  it('a body that is not UTF-8 is invalid_client_metadata', async () => {
    t = await createTestServer(host);
    const response = await t.server.fetch(
      new Request(`${ISSUER}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new Uint8Array([0x7b, 0xff, 0x7d]),
      }),
    );
    await expectOAuthError(response, 'invalid_client_metadata');
  });

  it('hostile bodies get invalid_client_metadata or invalid_redirect_uri, never a 500', async () => {
    t = await createTestServer(host);
    const deep = `${'['.repeat(6000)}${']'.repeat(6000)}`;
    const bodies: unknown[] = [
      { ...BASE, redirect_uris: [{}] },
      { ...BASE, client_name: { toString: 'x' } },
      { ...BASE, token_endpoint_auth_method: 'private_key_jwt', jwks: 'x' },
      { ...BASE, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: 'x' } },
      { ...BASE, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC' }] } },
      { ...BASE, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [[[[]]]] } },
      { ...BASE, token_endpoint_auth_method: ['none'] },
      { ...BASE, grant_types: [1, null] },
      { ...BASE, contacts: [null] },
      { ...BASE, redirect_uris: ['\u0000'] },
      { ...BASE, redirect_uris: Array.from({ length: 500 }, (_, i) => `myapp${i}://cb`) },
      { ...BASE, jwks_uri: 'file:///etc/passwd', token_endpoint_auth_method: 'private_key_jwt' },
      {
        ...BASE,
        token_endpoint_auth_signing_alg: 'none',
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [key.publicJwk] },
      },
      {
        ...BASE,
        token_endpoint_auth_signing_alg: 'HS256',
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [key.publicJwk] },
      },
    ];
    for (const body of bodies) {
      const response = await register(body);
      const error = ((await response.clone().json()) as { error: string }).error;
      expect(
        ['invalid_client_metadata', 'invalid_redirect_uri'],
        JSON.stringify(body).slice(0, 200),
      ).toContain(error);
      await expectOAuthError(response, error);
    }
    const nested = await register(
      `{"client_name":"x","redirect_uris":["http://127.0.0.1/cb"],"jwks":${deep}}`,
    );
    await expectOAuthError(nested, 'invalid_client_metadata');
    expect(t.logs.filter((line) => line.level === 'error')).toEqual([]);
  });

  it('GET /register is 405', async () => {
    t = await createTestServer(host);
    await expectOAuthError(await t.server.fetch(new Request(`${ISSUER}/register`)), 'invalid_request', 405);
  });

  it('nothing is saved when a registration is refused', async () => {
    t = await createTestServer(host);
    const saved: string[] = [];
    const saveClient = t.store.saveClient.bind(t.store);
    t.store.saveClient = async (client) => {
      saved.push(client.clientId);
      return saveClient(client);
    };
    await expectOAuthError(await register({ ...BASE, client_secret: 'x' }), 'invalid_client_metadata');
    await expectOAuthError(
      await register({ ...BASE, redirect_uris: ['myapp://cb'] }),
      'invalid_redirect_uri',
    );
    expect(saved).toEqual([]);
  });
});

describe('SEP-837: application_type is required at /register (MCP 2026-07-28)', () => {
  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['an unknown value', 'browser'],
    ['not a string', 1],
    ['in another case', 'Native'],
  ])('application_type %s is invalid_client_metadata', async (_name, value) => {
    t = await createTestServer(host);
    const body = await expectOAuthError(
      await register({ ...BASE, application_type: value }),
      'invalid_client_metadata',
    );
    expect(body.error_description).toContain('application_type');
  });

  it.each(['native', 'web'])('application_type %s is accepted and echoed', async (type) => {
    t = await createTestServer(host);
    const body = await expectRegistered(
      await register({ ...BASE, application_type: type, redirect_uris: ['https://app.example.com/cb'] }),
    );
    expect(body.application_type).toBe(type);
    const saved = await t.store.getClient(body.client_id);
    expect(saved?.metadata.application_type).toBe(type);
  });

  it('registration: { requireApplicationType: false } records a missing one as native (older DCR clients); an unknown one is still refused', async () => {
    t = await createTestServer(host, { registration: { requireApplicationType: false } });
    const { application_type: _omitted, ...withoutType } = BASE;
    const body = await expectRegistered(await register(withoutType));
    expect(body.application_type).toBe('native');
    await expectOAuthError(
      await register({ ...BASE, application_type: 'browser' }),
      'invalid_client_metadata',
    );
  });

  it('registration: {} turns DCR on with application_type required', async () => {
    t = await createTestServer(host, { registration: {} });
    const { application_type: _omitted, ...withoutType } = BASE;
    await expectOAuthError(await register(withoutType), 'invalid_client_metadata');
    await expectRegistered(await register(BASE));
  });

  it('RFC 8252 §7.1: a web client may not register a private-use scheme redirect URI; a native one may', async () => {
    t = await createTestServer(host);
    const redirect_uris = ['com.example.app:/oauth/callback'];
    const body = await expectOAuthError(
      await register({ ...BASE, application_type: 'web', redirect_uris }),
      'invalid_redirect_uri',
    );
    expect(body.error_description).toContain('native');
    await expectRegistered(await register({ ...BASE, application_type: 'native', redirect_uris }));
  });
});

describe('CIMD-only mode (registration: false)', () => {
  it('/register is 404 and the metadata has no registration_endpoint', async () => {
    t = await createTestServer(host, { registration: false });
    const response = await register(BASE);
    expect(response.status).toBe(404);
    const metadata = (await (
      await t.server.fetch(new Request(`${ISSUER}/.well-known/oauth-authorization-server`))
    ).json()) as Record<string, unknown>;
    expect(metadata).not.toHaveProperty('registration_endpoint');
    expect(metadata.client_id_metadata_document_supported).toBe(true);
  });
});

describe('CIMD-AS-23: a registered jwks_uri follows the server network policy', () => {
  const body = {
    ...BASE,
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks_uri: 'https://localhost:8443/jwks.json',
  };

  it('refuses a jwks_uri on a non-public host when the server does not allow private networks', async () => {
    t = await createTestServer(host, { clients: { fetchOptions: { ca: host.ca.caCert } } });
    const response = await register(body);
    expect(response.status).toBe(400);
    const error = (await response.json()) as { error: string; error_description: string };
    expect(error.error).toBe('invalid_client_metadata');
    expect(error.error_description).toContain('CIMD-LINT-08');
  });

  it('accepts it when the server itself may fetch from private networks (development)', async () => {
    t = await createTestServer(host);
    const registered = await expectRegistered(await register(body));
    expect(registered.jwks_uri).toBe('https://localhost:8443/jwks.json');
  });
});
