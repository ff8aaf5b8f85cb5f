/**
 * /token given malformed, missing, duplicated and hostile input: always the right OAuth error
 * JSON with `Cache-Control: no-store`, never a 500; other methods, CORS, and logs that never carry
 * a secret.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizationServer, devLogin } from '../../../src/server/index.js';
import { createMemoryStore } from '../../../src/store/index.js';
import {
  type CimdHost,
  codeParams,
  createKey,
  createTestServer,
  expectOAuthError,
  expectTokens,
  ISSUER,
  keyClient,
  publicClient,
  RESOURCE,
  startCimdHost,
  type TestKey,
  type TestServer,
} from './harness.js';

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

describe('request format', () => {
  it('a JSON body is invalid_request', async () => {
    t = await createTestServer(host);
    const response = await t.server.fetch(
      new Request(`${ISSUER}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'authorization_code' }),
      }),
    );
    await expectOAuthError(response, 'invalid_request');
  });

  it('no content type, or multipart, is invalid_request', async () => {
    t = await createTestServer(host);
    for (const headers of [
      {},
      { 'content-type': 'multipart/form-data; boundary=x' },
      { 'content-type': 'text/plain' },
    ]) {
      const response = await t.server.fetch(
        new Request(`${ISSUER}/token`, { method: 'POST', headers, body: 'grant_type=authorization_code' }),
      );
      await expectOAuthError(response, 'invalid_request');
    }
  });

  it('parameters in the query string are invalid_request (credentials never in URLs)', async () => {
    t = await createTestServer(host);
    const response = await t.server.fetch(
      new Request(`${ISSUER}/token?code=abc`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=authorization_code',
      }),
    );
    await expectOAuthError(response, 'invalid_request');
  });

  it('a body over 64 KiB is invalid_request, declared or streamed', async () => {
    t = await createTestServer(host);
    const big = `grant_type=authorization_code&code=${'a'.repeat(70_000)}`;
    await expectOAuthError(await t.post('/token', big), 'invalid_request');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode('a'.repeat(5000)));
        controller.close();
      },
    });
    const response = await t.server.fetch(
      new Request(`${ISSUER}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: stream,
        duplex: 'half',
      } as RequestInit),
    );
    await expectOAuthError(response, 'invalid_request');
  });

  it('a body that is not UTF-8 is invalid_request', async () => {
    t = await createTestServer(host);
    const response = await t.server.fetch(
      new Request(`${ISSUER}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new Uint8Array([0x67, 0x3d, 0xff, 0xfe]),
      }),
    );
    await expectOAuthError(response, 'invalid_request');
  });

  it('GET, PUT and DELETE get 405 with Allow and an OAuth error body', async () => {
    t = await createTestServer(host);
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const response = await t.server.fetch(new Request(`${ISSUER}/token`, { method }));
      await expectOAuthError(response, 'invalid_request', 405);
      expect(response.headers.get('allow')).toBe('POST, OPTIONS');
    }
  });

  it('a CORS preflight is answered for any origin, and responses carry Access-Control-Allow-Origin', async () => {
    t = await createTestServer(host);
    const preflight = await t.server.fetch(
      new Request(`${ISSUER}/token`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://inspector.example.com',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      }),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const response = await t.post('/token', 'grant_type=password', {
      origin: 'https://inspector.example.com',
    });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('grant_type', () => {
  it('a missing grant_type is invalid_request', async () => {
    t = await createTestServer(host);
    await expectOAuthError(await t.token({ client_id: 'x' }), 'invalid_request');
  });

  it.each([
    'client_credentials',
    'password',
    'implicit',
    'token',
    'urn:ietf:params:oauth:grant-type:device_code',
    'urn:ietf:params:oauth:grant-type:jwt-bearer',
    'urn:ietf:params:oauth:grant-type:token-exchange',
    'AUTHORIZATION_CODE',
    'authorization_code ',
    '__proto__',
  ])('grant_type=%s is unsupported_grant_type, before any client is resolved', async (grantType) => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const path = new URL(client.clientId).pathname;
    await expectOAuthError(
      await t.token({ grant_type: grantType, client_id: client.clientId }),
      'unsupported_grant_type',
    );
    expect(host.host.hits.get(path)).toBeUndefined();
  });
});

describe('duplicated parameters (RFC 6749 §3.2)', () => {
  it.each(['grant_type', 'client_id', 'code', 'code_verifier', 'redirect_uri', 'resource'])(
    'a repeated %s is invalid_request and does not consume the code',
    async (name) => {
      t = await createTestServer(host);
      const client = publicClient(host);
      const issued = await t.issueCode(client.clientId);
      const params = codeParams(client.clientId, issued, { resource: RESOURCE });
      const pairs = Object.entries(params) as [string, string][];
      pairs.push([name, params[name as keyof typeof params]]);
      const body = await expectOAuthError(await t.token(pairs), 'invalid_request');
      expect(body.error_description).toContain(name);
      await expectTokens(await t.token(params));
    },
  );

  it('a repeated refresh_token or scope is invalid_request', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    for (const name of ['refresh_token', 'scope']) {
      const pairs: [string, string][] = [
        ['grant_type', 'refresh_token'],
        ['client_id', client.clientId],
        ['refresh_token', 'r'],
        [name, 'x'],
      ];
      if (name === 'scope') pairs.push(['scope', 'y']);
      await expectOAuthError(await t.token(pairs), 'invalid_request');
    }
  });

  it('empty values count as absent (RFC 6749 §3.1)', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const params = {
      ...codeParams(client.clientId, await t.issueCode(client.clientId)),
      resource: '',
      scope: '',
    };
    await expectTokens(await t.token(params));
    await expectOAuthError(await t.token({ grant_type: '', client_id: client.clientId }), 'invalid_request');
  });
});

describe('hostile values never cause a 500', () => {
  const hostileIds = [
    'javascript:alert(1)',
    '../../etc/passwd',
    'https://',
    'https://169.254.169.254/latest/meta-data',
    'https://[::1]/client.json',
    'https://user:pass@app.example.com/c.json',
    'https://app.example.com/a/../c.json',
    'https://app.example.com/c.json#frag',
    'https://printer.local/c.json',
    'file:///etc/passwd',
    `https://app.invalid/${'a'.repeat(10_000)}`,
    'x'.repeat(20_000),
    '\u0000',
    '%00',
    '<script>alert(1)</script>',
    '{"$ne":null}',
    '__proto__',
    'constructor',
  ];

  it.each(hostileIds)(
    'client_id %j is invalid_client (production network rules, nothing fetched)',
    async (clientId) => {
      const store = createMemoryStore();
      const server = createAuthorizationServer({
        issuer: ISSUER,
        resources: [RESOURCE],
        store,
        authenticator: devLogin(),
      });
      try {
        const response = await server.fetch(
          new Request(`${ISSUER}/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              grant_type: 'authorization_code',
              client_id: clientId,
              code: 'c',
              code_verifier: 'v'.repeat(43),
            }).toString(),
          }),
        );
        await expectOAuthError(response, 'invalid_client');
      } finally {
        await server.close();
        await store.close();
      }
    },
  );

  const hostileValues = [
    '\u0000\u0001\u0002',
    'a'.repeat(60_000),
    '💥'.repeat(100),
    ['$', '{jndi:ldap://x}'].join(''),
    "' OR 1=1 --",
    '%E0%A4%A',
    'eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.',
    '__proto__',
  ];

  it.each(hostileValues.map((value) => [value.slice(0, 30), value]))(
    'code, code_verifier, redirect_uri, resource = %j answer an OAuth error, never a 500',
    async (_label, value) => {
      t = await createTestServer(host);
      const client = publicClient(host);
      const issued = await t.issueCode(client.clientId);
      for (const name of ['code', 'code_verifier', 'redirect_uri', 'resource'] as const) {
        const response = await t.token(codeParams(client.clientId, issued, { [name]: value }));
        expect(response.status, `${name}`).toBeGreaterThanOrEqual(400);
        expect(response.status, `${name}`).toBeLessThan(500);
        await expectOAuthError(response, ((await response.clone().json()) as { error: string }).error);
      }
      for (const name of ['refresh_token', 'scope', 'resource'] as const) {
        const response = await t.token({
          grant_type: 'refresh_token',
          client_id: client.clientId,
          refresh_token: 'r',
          [name]: value,
        });
        expect(response.status, name).toBeLessThan(500);
      }
      const assertion = await t.token({
        ...codeParams(client.clientId, issued),
        client_id: value,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: value,
      });
      expect(assertion.status).toBeLessThan(500);
      expect(t.logs.filter((line) => line.level === 'error')).toEqual([]);
    },
  );

  it('a client_assertion of 20 000 characters is invalid_client', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [key]);
    const response = await t.token({
      grant_type: 'authorization_code',
      client_id: client.clientId,
      code: 'c',
      code_verifier: 'v'.repeat(43),
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: `${'a'.repeat(10_000)}.${'b'.repeat(10_000)}.c`,
    });
    await expectOAuthError(response, 'invalid_client');
  });
});

describe('logs never contain secrets', () => {
  it('codes, verifiers, assertions, access and refresh tokens stay out of every log line', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [key]);
    const issued = await t.issueCode(client.clientId);
    const auth = await t.auth(client.clientId, key);
    const { client_id: _id, ...params } = codeParams(client.clientId, issued);
    const body = await expectTokens(await t.token({ ...params, ...auth }));
    await expectOAuthError(await t.token({ ...params, ...auth }), 'invalid_client');
    const refreshed = await expectTokens(
      await t.token({
        grant_type: 'refresh_token',
        refresh_token: body.refresh_token ?? '',
        ...(await t.auth(client.clientId, key)),
      }),
    );
    await expectOAuthError(
      await t.token({
        grant_type: 'refresh_token',
        refresh_token: body.refresh_token ?? '',
        ...(await t.auth(client.clientId, key)),
      }),
      'invalid_grant',
    );
    expect(t.logs.length).toBeGreaterThan(0);
    const logged = JSON.stringify(t.logs);
    for (const secret of [
      issued.code,
      issued.verifier,
      auth.client_assertion,
      body.access_token,
      body.refresh_token,
      refreshed.access_token,
      refreshed.refresh_token,
    ]) {
      expect(logged).not.toContain(secret);
    }
    expect(logged).toContain('token_issued');
    expect(logged).toContain('refresh_token_reused');
  });
});
