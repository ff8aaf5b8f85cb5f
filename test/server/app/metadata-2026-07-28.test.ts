/**
 * The authorization server metadata an MCP 2026-07-28 client reads, each member pinned by the
 * rule it comes from: RFC 8414 §2/§3.3, RFC 9207 / SEP-2468, CIMD (SEP-991), SEP-2207
 * (`offline_access`), SEP-837 (DCR deprecated, `registration_endpoint` only when it is on), and
 * what CIMD users run into (reference item 7: clients that use CIMD only when `none` is listed).
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AuthorizationServerOptions,
  createAuthorizationServer,
  devLogin,
} from '../../../src/server/index.js';
import { createMemoryStore } from '../../../src/store/index.js';

const ISSUER = 'http://127.0.0.1:4000';
const store = createMemoryStore();
const servers: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
  await store.close();
});

function serverWith(options: Partial<AuthorizationServerOptions> = {}) {
  const server = createAuthorizationServer({
    issuer: ISSUER,
    resources: ['http://127.0.0.1:4001/mcp'],
    store,
    authenticator: devLogin(),
    ...options,
  });
  servers.push(server);
  return server;
}

async function metadataOf(server: ReturnType<typeof serverWith>): Promise<Record<string, unknown>> {
  const response = await server.fetch(new Request(`${ISSUER}/.well-known/oauth-authorization-server`));
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('authorization server metadata per MCP 2026-07-28', () => {
  it('RFC 8414 §3.3: issuer is exactly the configured issuer (no trailing slash)', async () => {
    expect((await metadataOf(serverWith())).issuer).toBe(ISSUER);
  });

  it('RFC 9207 / SEP-2468: authorization_response_iss_parameter_supported is true', async () => {
    expect((await metadataOf(serverWith())).authorization_response_iss_parameter_supported).toBe(true);
  });

  it('SEP-991 (CIMD): client_id_metadata_document_supported is true', async () => {
    expect((await metadataOf(serverWith())).client_id_metadata_document_supported).toBe(true);
  });

  it('CIMD users item 7: token_endpoint_auth_methods_supported lists none and private_key_jwt, never a shared secret', async () => {
    const methods = (await metadataOf(serverWith())).token_endpoint_auth_methods_supported as string[];
    expect(methods).toEqual(expect.arrayContaining(['none', 'private_key_jwt']));
    expect(methods).not.toContain('client_secret_post');
  });

  it('OAuth 2.1 §4.1.1 / MCP: code_challenge_methods_supported is exactly ["S256"]', async () => {
    expect((await metadataOf(serverWith())).code_challenge_methods_supported).toEqual(['S256']);
  });

  it('RFC 8414 §2 / OAuth 2.1: response_types_supported is exactly ["code"]', async () => {
    expect((await metadataOf(serverWith())).response_types_supported).toEqual(['code']);
  });

  it('SEP-2207: no offline_access (nor any scopes_supported) unless configured', async () => {
    const metadata = await metadataOf(serverWith());
    expect(metadata).not.toHaveProperty('scopes_supported');
    expect(JSON.stringify(metadata)).not.toContain('offline_access');
    const scoped = await metadataOf(serverWith({ scopesSupported: ['mcp:tools'] }));
    expect(scoped.scopes_supported).toEqual(['mcp:tools']);
    const offline = await metadataOf(serverWith({ scopesSupported: ['mcp:tools', 'offline_access'] }));
    expect(offline.scopes_supported).toEqual(['mcp:tools', 'offline_access']);
  });

  it('SEP-837: registration_endpoint only when DCR is on', async () => {
    expect((await metadataOf(serverWith())).registration_endpoint).toBe(`${ISSUER}/register`);
    expect(await metadataOf(serverWith({ registration: false }))).not.toHaveProperty('registration_endpoint');
  });

  it('RFC 8414 §2: grant_types_supported is honest: each listed grant reaches its handler, an unlisted one is unsupported_grant_type', async () => {
    const server = serverWith();
    const listed = (await metadataOf(server)).grant_types_supported as string[];
    expect(listed).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
    expect(listed).not.toContain('implicit');
    expect(listed).not.toContain('password');
    const token = async (grantType: string) => {
      const response = await server.fetch(
        new Request(`${ISSUER}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: grantType, client_id: 'dcr_unknown' }),
        }),
      );
      return ((await response.json()) as { error: string }).error;
    };
    for (const grant of listed) expect(await token(grant), grant).not.toBe('unsupported_grant_type');
    for (const grant of ['password', 'implicit', 'urn:example:unknown']) {
      expect(await token(grant), grant).toBe('unsupported_grant_type');
    }
  });
});
