/**
 * The client_credentials grant (an agent acting as itself): only private_key_jwt clients whose
 * metadata lists the grant, only when the server's policy allows the client and the resource;
 * `sub` is the client_id, the audience is one resource, scopes are capped by the document's
 * `scope`, no refresh token. Each refusal is a named test.
 */
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClientCredentialsOptions } from '../../../src/server/clients/client-credentials-policy.js';
import { createAuthorizationServer, devLogin } from '../../../src/server/index.js';
import { createMemoryStore } from '../../../src/store/index.js';
import {
  type CimdHost,
  createKey,
  createTestServer,
  expectOAuthError,
  expectTokens,
  ISSUER,
  JWT_BEARER,
  type KeyClient,
  keyClient,
  OTHER_RESOURCE,
  publicClient,
  RESOURCE,
  startCimdHost,
  type TestKey,
  type TestServer,
} from './harness.js';

let host: CimdHost;
let key: TestKey;
let t: TestServer | undefined;

beforeAll(async () => {
  host = await startCimdHost();
  key = await createKey('agent-1');
});
afterAll(async () => {
  await host.close();
});
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const AGENT = {
  client_name: 'Test agent',
  grant_types: ['client_credentials'],
  scope: 'mcp:tools mcp:read',
};

function agent(extra: Record<string, unknown> = {}): KeyClient {
  return keyClient(host, [key], 'jwks_uri', { ...AGENT, ...extra });
}

async function server(clientCredentials?: ClientCredentialsOptions): Promise<TestServer> {
  t = await createTestServer(host, clientCredentials === undefined ? {} : { clientCredentials });
  return t;
}

async function ask(s: TestServer, client: KeyClient, extra: Record<string, string> = {}): Promise<Response> {
  return s.token({ grant_type: 'client_credentials', ...(await s.auth(client.clientId, key)), ...extra });
}

describe('client_credentials: what is granted', () => {
  it('an allowed private_key_jwt agent gets a token: sub = client_id, aud = the default resource, the document scope, no refresh token', async () => {
    const client = agent();
    const s = await server({ allow: [client.clientId] });
    const body = await expectTokens(await ask(s, client));
    expect(body.refresh_token).toBeUndefined();
    expect(body.scope).toBe('mcp:tools mcp:read');
    const claims = decodeJwt(body.access_token);
    expect(claims.sub).toBe(client.clientId);
    expect(claims.client_id).toBe(client.clientId);
    expect(claims.aud).toEqual(RESOURCE);
    expect(claims.iss).toBe(ISSUER);
    const issued = s.logs.find((line) => line.fields.event === 'token_issued');
    expect(issued?.fields).toMatchObject({ grantType: 'client_credentials', clientId: client.clientId });
    expect(JSON.stringify(s.logs)).not.toContain(body.access_token);
  });

  it('policy on for a host pattern: localhost allows every agent on that host', async () => {
    const client = agent();
    const s = await server({ allow: ['localhost'] });
    await expectTokens(await ask(s, client));
  });

  it('policy on for a wildcard pattern that does not match the host: unauthorized_client', async () => {
    const client = agent();
    const s = await server({ allow: ['*.agents.example.com'] });
    await expectOAuthError(await ask(s, client), 'unauthorized_client');
  });

  it('the resource parameter selects another served resource (resource-bound)', async () => {
    const client = agent();
    const s = await server({ allow: [client.clientId] });
    const body = await expectTokens(await ask(s, client, { resource: OTHER_RESOURCE }));
    expect(decodeJwt(body.access_token).aud).toEqual(OTHER_RESOURCE);
  });

  it('a narrower scope is granted as asked', async () => {
    const client = agent();
    const s = await server({ allow: [client.clientId] });
    const body = await expectTokens(await ask(s, client, { scope: 'mcp:read' }));
    expect(body.scope).toBe('mcp:read');
    expect(decodeJwt(body.access_token).scope).toBe('mcp:read');
  });

  it('a registered (store) private_key_jwt client listing the grant gets a token too', async () => {
    const s = await server({ allow: ['agent_static_1'] });
    await s.store.saveClient({
      clientId: 'agent_static_1',
      createdAt: s.clock.now(),
      metadata: {
        client_name: 'Static agent',
        redirect_uris: ['http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [key.publicJwk] },
        grant_types: ['client_credentials'],
        response_types: ['code'],
        scope: 'mcp:tools',
      },
    });
    const body = await expectTokens(
      await s.token({ grant_type: 'client_credentials', ...(await s.auth('agent_static_1', key)) }),
    );
    expect(decodeJwt(body.access_token).sub).toBe('agent_static_1');
  });

  it('metadata advertises client_credentials only when the policy allows some client', async () => {
    const off = await server();
    const before = (await (
      await off.server.fetch(new Request(`${ISSUER}/.well-known/oauth-authorization-server`))
    ).json()) as { grant_types_supported: string[] };
    expect(before.grant_types_supported).not.toContain('client_credentials');
    await off.close();
    const on = await server({ allow: ['127.0.0.1'] });
    const after = (await (
      await on.server.fetch(new Request(`${ISSUER}/.well-known/oauth-authorization-server`))
    ).json()) as { grant_types_supported: string[] };
    expect(after.grant_types_supported).toContain('client_credentials');
  });
});

describe('client_credentials: refusals', () => {
  it('no policy at all: unsupported_grant_type, before the client is resolved', async () => {
    const client = agent();
    const s = await server();
    await expectOAuthError(await ask(s, client), 'unsupported_grant_type');
    expect(host.host.hits.get(new URL(client.clientId).pathname)).toBeUndefined();
  });

  it('policy off for this client (another client allowed): unauthorized_client', async () => {
    const client = agent();
    const s = await server({ allow: ['https://agents.example.com/other.json'] });
    const body = await expectOAuthError(await ask(s, client), 'unauthorized_client');
    expect(body.error_description).toMatch(/allow-client-credentials/);
  });

  it('a public client (none) is refused: unauthorized_client', async () => {
    const client = publicClient(host, AGENT);
    const s = await server({ allow: [client.clientId] });
    await expectOAuthError(
      await s.token({ grant_type: 'client_credentials', client_id: client.clientId }),
      'unauthorized_client',
    );
  });

  it('a CIMD client authenticating with a shared secret (client_secret, HTTP Basic) is refused: invalid_client', async () => {
    const client = agent();
    const s = await server({ allow: [client.clientId] });
    await expectOAuthError(
      await s.token({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: 'x' }),
      'invalid_client',
    );
    await expectOAuthError(
      await s.token(
        { grant_type: 'client_credentials' },
        { authorization: `Basic ${btoa(`${encodeURIComponent(client.clientId)}:secret`)}` },
      ),
      'invalid_client',
    );
  });

  it('a CIMD document declaring client_secret_basic is refused: invalid_client', async () => {
    const client = publicClient(host, { ...AGENT, token_endpoint_auth_method: 'client_secret_basic' });
    const s = await server({ allow: [client.clientId] });
    await expectOAuthError(
      await s.token({ grant_type: 'client_credentials', client_id: client.clientId }),
      'invalid_client',
    );
  });

  it('a private_key_jwt client without an assertion is refused: invalid_client', async () => {
    const client = agent();
    const s = await server({ allow: [client.clientId] });
    await expectOAuthError(
      await s.token({ grant_type: 'client_credentials', client_id: client.clientId }),
      'invalid_client',
    );
  });

  it('a document that does not list client_credentials: unauthorized_client', async () => {
    const client = keyClient(host, [key], 'jwks_uri', { scope: 'mcp:tools' });
    const s = await server({ allow: [client.clientId] });
    await expectOAuthError(await ask(s, client), 'unauthorized_client');
  });

  it('scope ceiling: a scope beyond the document scope is invalid_scope', async () => {
    const client = agent();
    const s = await server({ allow: [client.clientId] });
    await expectOAuthError(await ask(s, client, { scope: 'mcp:read admin' }), 'invalid_scope');
  });

  it('scope ceiling: a document with "scope": "read" asking for "admin write" does not get them (invalid_scope); without scope it gets read', async () => {
    const client = agent({ scope: 'read' });
    const s = await server({ allow: [client.clientId] });
    const refused = await expectOAuthError(await ask(s, client, { scope: 'admin write' }), 'invalid_scope');
    expect(refused.error_description).toContain("this client's scope (read)");
    await expectOAuthError(await ask(s, client, { scope: 'read admin' }), 'invalid_scope');
    const body = await expectTokens(await ask(s, client));
    expect(body.scope).toBe('read');
  });

  it('scope ceiling: a document without scope gets no scope, and asking for one is invalid_scope', async () => {
    const client = agent({ scope: undefined });
    const s = await server({ allow: [client.clientId] });
    const body = await expectTokens(await ask(s, client));
    expect(body.scope).toBeUndefined();
    await expectOAuthError(await ask(s, client, { scope: 'mcp:tools' }), 'invalid_scope');
  });

  it('scope ceiling: scopesSupported narrows the document scope', async () => {
    const client = agent();
    t = await createTestServer(host, {
      clientCredentials: { allow: [client.clientId] },
      scopesSupported: ['mcp:read'],
    });
    const body = await expectTokens(await ask(t, client));
    expect(body.scope).toBe('mcp:read');
    await expectOAuthError(await ask(t, client, { scope: 'mcp:tools' }), 'invalid_scope');
  });

  it('resource check: an unknown resource is invalid_target', async () => {
    const client = agent();
    const s = await server({ allow: [client.clientId] });
    await expectOAuthError(
      await ask(s, client, { resource: 'https://elsewhere.example.com/mcp' }),
      'invalid_target',
    );
  });

  it('resource check: a malformed resource (fragment) is invalid_target', async () => {
    const client = agent();
    const s = await server({ allow: [client.clientId] });
    await expectOAuthError(await ask(s, client, { resource: `${RESOURCE}#x` }), 'invalid_target');
  });

  it('resource check: a served resource the policy does not allow is unauthorized_client', async () => {
    const client = agent();
    const s = await server({ allow: [client.clientId], resources: [RESOURCE] });
    await expectTokens(await ask(s, client, { resource: RESOURCE }));
    await expectOAuthError(await ask(s, client, { resource: OTHER_RESOURCE }), 'unauthorized_client');
  });

  it('assertion replay is refused: the same client_assertion twice is invalid_client', async () => {
    const client = agent();
    const s = await server({ allow: [client.clientId] });
    const params = { grant_type: 'client_credentials', ...(await s.auth(client.clientId, key)) };
    await expectTokens(await s.token(params));
    await expectOAuthError(await s.token(params), 'invalid_client');
  });

  it('an assertion signed by a key the agent does not publish is invalid_client', async () => {
    const client = agent();
    const s = await server({ allow: [client.clientId] });
    const stranger = await createKey('agent-1');
    await expectOAuthError(
      await s.token({
        grant_type: 'client_credentials',
        client_assertion_type: JWT_BEARER,
        ...(await s.auth(client.clientId, stranger)),
      }),
      'invalid_client',
    );
  });
});

describe('clientCredentials option validation', () => {
  const base = () => ({
    issuer: ISSUER,
    resources: [RESOURCE],
    store: createMemoryStore(),
    authenticator: devLogin(),
  });

  it.each([
    [{ allow: [] }, /at least one/],
    [{ allow: [''] }, /non-empty/],
    [{ allow: ['exa mple.com'] }, /neither/],
    [{ allow: ['127.0.0.1'], resources: [OTHER_RESOURCE] }, /not one of the server's resources/],
  ])('%j is refused at startup', (clientCredentials, message) => {
    expect(() => createAuthorizationServer({ ...base(), clientCredentials })).toThrow(message);
  });
});
