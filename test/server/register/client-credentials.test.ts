/**
 * /register and the client_credentials grant (issue 10): a client may list `client_credentials`
 * only with `private_key_jwt` and its keys (`jwks` or `jwks_uri`); a public client or a
 * shared-secret method is refused with `invalid_client_metadata`, never silently dropped.
 * Registering grants nothing by itself: the token endpoint still needs the operator's policy
 * (`clientCredentials.allow`) naming the registered `client_id`.
 */
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ClientCredentialsOptions } from '../../../src/server/clients/client-credentials-policy.js';
import { createMemoryStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/store.js';
import {
  type CimdHost,
  createKey,
  createTestServer,
  expectOAuthError,
  expectTokens,
  ISSUER,
  RESOURCE,
  startCimdHost,
  type TestKey,
  type TestServer,
} from '../token/harness.js';

let host: CimdHost;
let key: TestKey;
let store: Store;
const servers: TestServer[] = [];

beforeAll(async () => {
  host = await startCimdHost();
  key = await createKey('agent-1');
});
afterAll(async () => {
  await host.close();
});
beforeEach(() => {
  store = createMemoryStore();
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  await store.close();
});

const AGENT = {
  client_name: 'Registered agent',
  application_type: 'web',
  redirect_uris: ['https://agent.example.com/callback'],
  grant_types: ['client_credentials'],
  scope: 'mcp:tools',
};

async function server(clientCredentials?: ClientCredentialsOptions): Promise<TestServer> {
  // Servers share `store`; the test closes it once, so each server gets it with a no-op close.
  const shared: Store = { ...store, close: async () => {} };
  const s = await createTestServer(host, {
    store: shared,
    ...(clientCredentials ? { clientCredentials } : {}),
  });
  servers.push(s);
  return s;
}

function register(s: TestServer, body: unknown): Promise<Response> {
  return s.server.fetch(
    new Request(`${ISSUER}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}

async function registerAgent(s: TestServer, extra: Record<string, unknown> = {}): Promise<string> {
  const response = await register(s, {
    ...AGENT,
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [key.publicJwk] },
    ...extra,
  });
  const body = (await response.json()) as { client_id: string; grant_types: string[] };
  expect(response.status, JSON.stringify(body)).toBe(201);
  expect(body.grant_types).toEqual(['client_credentials']);
  return body.client_id;
}

async function askToken(s: TestServer, clientId: string): Promise<Response> {
  return s.token({ grant_type: 'client_credentials', resource: RESOURCE, ...(await s.auth(clientId, key)) });
}

describe('/register with client_credentials', () => {
  it('a private_key_jwt client with jwks registers client_credentials; once the policy names it, it gets a token with sub = its client_id', async () => {
    const clientId = await registerAgent(await server());
    const allowed = await server({ allow: [clientId] });
    const body = await expectTokens(await askToken(allowed, clientId));
    expect(body.refresh_token).toBeUndefined();
    expect(decodeJwt(body.access_token)).toMatchObject({
      sub: clientId,
      client_id: clientId,
      aud: RESOURCE,
      scope: 'mcp:tools',
    });
  });

  it('registering grants nothing by itself: with the grant off it is unsupported_grant_type; with a policy not naming the client, unauthorized_client', async () => {
    const s = await server();
    const clientId = await registerAgent(s);
    await expectOAuthError(await askToken(s, clientId), 'unsupported_grant_type');
    const other = await server({ allow: ['dcr_someoneelse'] });
    await expectOAuthError(await askToken(other, clientId), 'unauthorized_client');
  });

  it('a jwks_uri client may register it too', async () => {
    const s = await server();
    const jwksPath = `${host.path()}.jwks`;
    host.serve(jwksPath, { keys: [key.publicJwk] });
    await registerAgent(s, { jwks: undefined, jwks_uri: host.url(jwksPath) });
  });

  it.each([
    ['a public client (token_endpoint_auth_method absent)', {}],
    ['a public client (token_endpoint_auth_method "none")', { token_endpoint_auth_method: 'none' }],
    ['client_secret_basic', { token_endpoint_auth_method: 'client_secret_basic' }],
    ['client_secret_post', { token_endpoint_auth_method: 'client_secret_post' }],
  ])(
    '%s listing client_credentials is invalid_client_metadata, naming private_key_jwt',
    async (_name, change) => {
      const response = await register(await server(), { ...AGENT, ...change });
      const body = await expectOAuthError(response, 'invalid_client_metadata');
      expect(body.error_description).toMatch(/client_credentials grant needs .*private_key_jwt/);
    },
  );

  it('a client_secret with client_credentials is invalid_client_metadata (no shared secrets)', async () => {
    const response = await register(await server(), {
      ...AGENT,
      token_endpoint_auth_method: 'client_secret_basic',
      client_secret: 'shared',
    });
    await expectOAuthError(response, 'invalid_client_metadata');
  });

  it('private_key_jwt without jwks or jwks_uri is invalid_client_metadata', async () => {
    const response = await register(await server(), {
      ...AGENT,
      token_endpoint_auth_method: 'private_key_jwt',
    });
    await expectOAuthError(response, 'invalid_client_metadata');
  });
});
