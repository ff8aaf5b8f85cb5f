/**
 * Client authentication at /token, exactly as the client's metadata says: private_key_jwt on
 * every request for a confidential client (PKJ-01..16, CIMD-AS-18), client_id only for a public
 * one, and never a shared secret (CIMD-DOC-05/06).
 */
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CimdHost,
  codeParams,
  createKey,
  createTestServer,
  expectOAuthError,
  expectTokens,
  ISSUER,
  JWT_BEARER,
  type KeyClient,
  keyClient,
  publicClient,
  signAssertion,
  startCimdHost,
  type TestKey,
  type TestServer,
} from './harness.js';

let host: CimdHost;
let k1: TestKey;
let stranger: TestKey;
let t: TestServer;

beforeAll(async () => {
  host = await startCimdHost();
  k1 = await createKey('k1');
  stranger = await createKey('k1');
});
afterAll(async () => {
  await host.close();
});
afterEach(async () => {
  await t?.close();
});

/** The code-exchange form of a fresh code for `client`, without client authentication. */
async function exchange(client: { clientId: string }): Promise<Record<string, string>> {
  const { client_id: _id, ...params } = codeParams(client.clientId, await t.issueCode(client.clientId));
  return params;
}

/** A code exchange by `client` with an assertion signed by `key` (overrides as in signAssertion). */
async function exchangeWith(
  client: KeyClient,
  key: TestKey,
  overrides?: Parameters<typeof signAssertion>[3],
): Promise<Response> {
  return t.token({ ...(await exchange(client)), ...(await t.auth(client.clientId, key, overrides)) });
}

describe('private_key_jwt clients (PKJ-16, CIMD-AS-18)', () => {
  it('PKJ-16: a code exchange with a valid assertion succeeds; the client is named by the assertion iss', async () => {
    t = await createTestServer(host);
    await expectTokens(await exchangeWith(keyClient(host, [k1]), k1));
  });

  it('PKJ-02: client_id may be sent too when it names the same client', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1], 'jwks');
    const params = { ...(await exchange(client)), client_id: client.clientId };
    await expectTokens(await t.token({ ...params, ...(await t.auth(client.clientId, k1)) }));
  });

  it('CIMD-AS-18: a code exchange without client_assertion is invalid_client (no fallback to none)', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1]);
    const body = await expectOAuthError(
      await t.token({ ...(await exchange(client)), client_id: client.clientId }),
      'invalid_client',
    );
    expect(body.error_description).toMatch(/private_key_jwt/);
  });

  it('CIMD-AS-18: a client_secret sent instead of the assertion is invalid_client', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1]);
    const params = { ...(await exchange(client)), client_id: client.clientId, client_secret: 'hunter2' };
    const body = await expectOAuthError(await t.token(params), 'invalid_client');
    expect(body.error_description).toMatch(/client_secret/);
    expect(JSON.stringify(t.logs)).not.toContain('hunter2');
  });

  it('PKJ-01: a wrong client_assertion_type is invalid_client', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1]);
    const params = {
      ...(await exchange(client)),
      ...(await t.auth(client.clientId, k1)),
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
    };
    await expectOAuthError(await t.token(params), 'invalid_client');
  });

  it('PKJ-01: two client_assertion parameters are invalid_request', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1]);
    const assertion = await signAssertion(client.clientId, k1, t.clock.now());
    const pairs: [string, string][] = [
      ...Object.entries(await exchange(client)),
      ['client_assertion_type', JWT_BEARER],
      ['client_assertion', assertion],
      ['client_assertion', assertion],
    ];
    await expectOAuthError(await t.token(pairs), 'invalid_request');
  });

  it('PKJ-02: a client_id naming another client than the assertion is invalid_client', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1]);
    const other = keyClient(host, [k1]);
    const params = {
      ...(await exchange(client)),
      client_id: client.clientId,
      ...(await t.auth(other.clientId, k1)),
    };
    await expectOAuthError(await t.token(params), 'invalid_client');
  });

  it.each([
    ['PKJ-03: iss is another client', { iss: 'https://other.example.com/client.json' }],
    ['PKJ-03: iss is missing', { iss: undefined }],
    ['PKJ-04: sub is another client', { sub: 'https://other.example.com/client.json' }],
    ['PKJ-05: aud names another AS', { aud: 'https://other-as.example.com' }],
    ['PKJ-06: exp is missing', { exp: undefined }],
    ['PKJ-06: exp passed beyond the skew', { exp: Math.floor(Date.UTC(2026, 10, 22, 12) / 1000) - 120 }],
    ['PKJ-06: exp a year away', { exp: Math.floor(Date.UTC(2027, 10, 22) / 1000) }],
    ['PKJ-07: nbf in the future', { nbf: Math.floor(Date.UTC(2026, 10, 22, 12) / 1000) + 300 }],
    ['PKJ-08: iat an hour ago', { iat: Math.floor(Date.UTC(2026, 10, 22, 11) / 1000) }],
    ['PKJ-09: jti is missing', { jti: undefined }],
  ])('%s → invalid_client', async (_name, claims) => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1]);
    const iss = 'iss' in claims ? {} : { iss: client.clientId };
    const response = await t.token({
      ...(await exchange(client)),
      client_id: client.clientId,
      ...(await t.auth(client.clientId, k1, { claims: { ...iss, ...claims } })),
    });
    await expectOAuthError(response, 'invalid_client');
  });

  it('PKJ-05: aud = the token endpoint is accepted in the default audience mode', async () => {
    t = await createTestServer(host);
    await expectTokens(await exchangeWith(keyClient(host, [k1]), k1, { claims: { aud: `${ISSUER}/token` } }));
  });

  it('PKJ-05: in issuer-only mode, aud = the token endpoint or an array with another value is refused', async () => {
    t = await createTestServer(host, { clientAssertions: { audience: 'issuer-only' } });
    const client = keyClient(host, [k1]);
    for (const aud of [`${ISSUER}/token`, [ISSUER, 'https://x.example.com']]) {
      await expectOAuthError(await exchangeWith(client, k1, { claims: { aud } }), 'invalid_client');
    }
    await expectTokens(await exchangeWith(client, k1));
  });

  it('PKJ-09: the same assertion twice: the second request is invalid_client', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1]);
    const auth = await t.auth(client.clientId, k1);
    await expectTokens(await t.token({ ...(await exchange(client)), ...auth }));
    const body = await expectOAuthError(
      await t.token({ ...(await exchange(client)), ...auth }),
      'invalid_client',
    );
    expect(body.error_description).toMatch(/already used/);
  });

  it('PKJ-10: alg none is invalid_client', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1]);
    const seconds = Math.floor(t.clock.now() / 1000);
    const unsigned = new UnsecuredJWT({ jti: 'j1', exp: seconds + 60, iat: seconds })
      .setIssuer(client.clientId)
      .setSubject(client.clientId)
      .setAudience(ISSUER)
      .encode();
    const params = {
      ...(await exchange(client)),
      client_assertion_type: JWT_BEARER,
      client_assertion: unsigned,
    };
    await expectOAuthError(await t.token(params), 'invalid_client');
  });

  it('PKJ-10: HS256 (keyed with anything) is invalid_client', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1]);
    const seconds = Math.floor(t.clock.now() / 1000);
    const hs = await new SignJWT({
      iss: client.clientId,
      sub: client.clientId,
      aud: ISSUER,
      jti: 'j2',
      exp: seconds + 60,
    })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .sign(new TextEncoder().encode(JSON.stringify(k1.publicJwk)));
    const params = { ...(await exchange(client)), client_assertion_type: JWT_BEARER, client_assertion: hs };
    await expectOAuthError(await t.token(params), 'invalid_client');
  });

  it('PKJ-10: a valid signature by a key not in the document is invalid_client', async () => {
    t = await createTestServer(host);
    await expectOAuthError(await exchangeWith(keyClient(host, [k1]), stranger), 'invalid_client');
  });

  it('PKJ-11: a malformed assertion is invalid_client', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1]);
    for (const assertion of ['not-a-jwt', 'a.b.c', `${'x'.repeat(20)}.${'y'.repeat(20)}.`]) {
      const params = {
        ...(await exchange(client)),
        client_id: client.clientId,
        client_assertion_type: JWT_BEARER,
        client_assertion: assertion,
      };
      await expectOAuthError(await t.token(params), 'invalid_client');
    }
  });

  it('PKJ-12: every assertion failure is invalid_client, HTTP 401 with a WWW-Authenticate challenge', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1]);
    const failures = [
      await exchangeWith(client, stranger),
      await exchangeWith(client, k1, { claims: { aud: 'https://elsewhere.example.com' } }),
      await exchangeWith(client, k1, { claims: { exp: undefined } }),
    ];
    for (const response of failures) {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_client"');
      await expectOAuthError(response, 'invalid_client');
    }
  });

  it('PKJ-13: an assertion without typ is accepted', async () => {
    t = await createTestServer(host);
    await expectTokens(await exchangeWith(keyClient(host, [k1]), k1, { header: { typ: undefined } }));
  });

  it('PKJ-14: a jwks_uri that cannot be fetched is invalid_client', async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [k1], 'jwks_uri', { jwks_uri: host.url('/nowhere/jwks.json') });
    const body = await expectOAuthError(await exchangeWith(client, k1), 'invalid_client');
    expect(body.error_description).toMatch(/jwks_uri/);
  });

  it('PKJ-14: inline jwks work as well as a jwks_uri', async () => {
    t = await createTestServer(host);
    await expectTokens(await exchangeWith(keyClient(host, [k1], 'jwks'), k1));
  });
});

describe('public clients (token_endpoint_auth_method none)', () => {
  it('a public client authenticates with client_id only', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    await expectTokens(await t.token(codeParams(client.clientId, await t.issueCode(client.clientId))));
  });

  it('a public client that sends a client_assertion is invalid_client', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const params = {
      ...codeParams(client.clientId, await t.issueCode(client.clientId)),
      ...(await t.auth(client.clientId, k1)),
    };
    const body = await expectOAuthError(await t.token(params), 'invalid_client');
    expect(body.error_description).toMatch(/public/);
  });

  it('a public client that sends client_assertion_type alone is invalid_client', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const params = {
      ...codeParams(client.clientId, await t.issueCode(client.clientId)),
      client_assertion_type: JWT_BEARER,
    };
    await expectOAuthError(await t.token(params), 'invalid_client');
  });

  it('a public client named only by an assertion iss (no client_id) is invalid_client', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const { client_id: _id, ...params } = codeParams(client.clientId, await t.issueCode(client.clientId));
    await expectOAuthError(
      await t.token({ ...params, ...(await t.auth(client.clientId, k1)) }),
      'invalid_client',
    );
  });

  it('a request naming no client at all is invalid_client', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const { client_id: _id, ...params } = codeParams(client.clientId, await t.issueCode(client.clientId));
    const body = await expectOAuthError(await t.token(params), 'invalid_client');
    expect(body.error_description).toMatch(/client_id/);
  });
});

describe('shared secrets are never accepted (CIMD-DOC-05, CIMD-DOC-06)', () => {
  it('a client_secret parameter is invalid_client, even from a public client', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const params = {
      ...codeParams(client.clientId, await t.issueCode(client.clientId)),
      client_secret: 's3cret',
    };
    await expectOAuthError(await t.token(params), 'invalid_client');
  });

  it('HTTP Basic authentication is invalid_client with a WWW-Authenticate challenge', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const basic = `Basic ${btoa(`${encodeURIComponent(client.clientId)}:s3cret`)}`;
    const response = await t.token(codeParams(client.clientId, await t.issueCode(client.clientId)), {
      authorization: basic,
    });
    const body = await expectOAuthError(response, 'invalid_client');
    expect(body.error_description).toMatch(/Basic/);
  });

  it('any other Authorization header is invalid_client too', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const response = await t.token(codeParams(client.clientId, await t.issueCode(client.clientId)), {
      authorization: 'Bearer abc',
    });
    await expectOAuthError(response, 'invalid_client');
  });
});

describe('client resolution at the token endpoint', () => {
  it('an unregistered non-URL client_id is invalid_client', async () => {
    t = await createTestServer(host);
    const response = await t.token({
      grant_type: 'authorization_code',
      client_id: 'nobody',
      code: 'x',
      code_verifier: 'a'.repeat(43),
    });
    const body = await expectOAuthError(response, 'invalid_client');
    expect(body.error_description).toMatch(/not registered/);
  });

  it('a client_id URL whose document is missing is invalid_client', async () => {
    t = await createTestServer(host);
    const response = await t.token({
      grant_type: 'authorization_code',
      client_id: host.url('/missing/client.json'),
      code: 'x',
      code_verifier: 'a'.repeat(43),
    });
    await expectOAuthError(response, 'invalid_client');
  });

  it('CIMD-URL-01: an http client_id is invalid_client and nothing is fetched', async () => {
    t = await createTestServer(host);
    const path = host.path();
    const response = await t.token({
      grant_type: 'authorization_code',
      client_id: `http://localhost:${host.host.port}${path}`,
      code: 'x',
      code_verifier: 'a'.repeat(43),
    });
    await expectOAuthError(response, 'invalid_client');
    expect(host.host.hits.get(path)).toBeUndefined();
  });

  it('a spent per-origin fetch budget is 503 temporarily_unavailable, with Retry-After (found by fuzzing, issue 9)', async () => {
    t = await createTestServer(host, {
      clients: {
        allowPrivateNetwork: true,
        fetchOptions: { ca: host.ca.caCert },
        fetchBudget: { requestsPerMinute: 1, maxConcurrent: 1 },
      },
    });
    const first = publicClient(host);
    await expectTokens(await t.token(codeParams(first.clientId, await t.issueCode(first.clientId))));
    const second = publicClient(host);
    const response = await t.token({
      grant_type: 'authorization_code',
      client_id: second.clientId,
      code: 'x',
      code_verifier: 'a'.repeat(43),
    });
    await expectOAuthError(response, 'temporarily_unavailable', 503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('a client whose metadata does not list the grant is unauthorized_client', async () => {
    t = await createTestServer(host);
    const client = publicClient(host, { grant_types: ['authorization_code'] });
    const response = await t.token({
      grant_type: 'refresh_token',
      client_id: client.clientId,
      refresh_token: 'x',
    });
    await expectOAuthError(response, 'unauthorized_client');
  });
});
