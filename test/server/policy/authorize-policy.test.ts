/**
 * The client policy at /authorize and in the metadata: per resource, which clients (exact
 * client_id, host pattern, trusted), which scopes and which grants; CIMD off; server-wide redirect
 * URI patterns. Real CIMD documents on an HTTPS loopback host, the real server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/errors.js';
import { createAuthorizationServer } from '../../../src/server/authorization-server/create.js';
import { authorizationServerMetadata } from '../../../src/server/endpoints/metadata.js';
import { createMemoryStore } from '../../../src/store/memory/memory-store.js';
import {
  errorPage,
  type Harness,
  ISSUER,
  OTHER_RESOURCE,
  pkce,
  RESOURCE,
  redirectQuery,
  startHarness,
  testAuthenticator,
  validParams,
} from '../authorize/helpers.js';

const REDIRECT = 'http://127.0.0.1:51004/callback';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});

afterAll(async () => {
  await harness.close();
});

/** The error of an authorization answered by redirect, or `undefined` when it went on (consent page, code). */
async function outcome(response: Response): Promise<string | undefined> {
  if (response.status !== 303) return undefined;
  const location = response.headers.get('location') ?? '';
  if (!location.startsWith(REDIRECT)) return undefined;
  const query = redirectQuery(response, REDIRECT);
  return query.get('error') ?? undefined;
}

describe('per-resource client policy at /authorize', () => {
  it('a client allowed for one resource is refused for another with invalid_target (RFC 8707)', async () => {
    const allowed = harness.client();
    const stranger = harness.client();
    const test = harness.server({
      clientPolicy: { resources: [{ resource: OTHER_RESOURCE, clients: [allowed] }] },
    });
    const { challenge } = pkce();
    // RESOURCE has no rule: both clients go on to consent.
    expect(await outcome(await test.authorize(validParams(stranger, challenge)))).toBeUndefined();
    expect(
      await outcome(await test.authorize(validParams(allowed, challenge, { resource: OTHER_RESOURCE }))),
    ).toBeUndefined();
    const refused = await test.authorize(validParams(stranger, challenge, { resource: OTHER_RESOURCE }));
    const query = redirectQuery(refused, REDIRECT);
    expect(query.get('error')).toBe('invalid_target');
    expect(query.get('error_description')).toMatch(/client policy/);
    expect(query.get('state')).toBe('st-123');
    expect(query.get('iss')).toBe(ISSUER);
    expect(test.logs.some((entry) => entry.fields.event === 'client_policy.refused')).toBe(true);
  });

  it('host patterns and trusted clients name clients', async () => {
    const trustedClient = harness.client();
    const other = harness.client();
    const test = harness.server({
      clients: { trustPolicy: { trusted: [trustedClient] } },
      clientPolicy: { resources: [{ resource: RESOURCE, clients: ['trusted'] }] },
    });
    const { challenge } = pkce();
    expect(await outcome(await test.authorize(validParams(trustedClient, challenge)))).toBeUndefined();
    expect(await outcome(await test.authorize(validParams(other, challenge)))).toBe('invalid_target');

    const byHost = harness.server({
      clientPolicy: { resources: [{ resource: RESOURCE, clients: [new URL(other).hostname] }] },
    });
    expect(await outcome(await byHost.authorize(validParams(other, challenge)))).toBeUndefined();
    const wrongHost = harness.server({
      clientPolicy: { resources: [{ resource: RESOURCE, clients: ['*.example.com'] }] },
    });
    expect(await outcome(await wrongHost.authorize(validParams(other, challenge)))).toBe('invalid_target');
  });

  it('limits scopes per resource (invalid_scope beyond them)', async () => {
    const client = harness.client();
    const test = harness.server({
      clientPolicy: { resources: [{ resource: RESOURCE, scopes: ['mcp:read'] }] },
    });
    const { challenge } = pkce();
    expect(
      await outcome(await test.authorize(validParams(client, challenge, { scope: 'mcp:read' }))),
    ).toBeUndefined();
    expect(
      await outcome(await test.authorize(validParams(client, challenge, { scope: 'mcp:read mcp:admin' }))),
    ).toBe('invalid_scope');
    // The other resource has no rule.
    expect(
      await outcome(
        await test.authorize(
          validParams(client, challenge, { scope: 'mcp:read mcp:admin', resource: OTHER_RESOURCE }),
        ),
      ),
    ).toBeUndefined();
  });

  it('limits grants per resource (unauthorized_client when authorization_code is not allowed)', async () => {
    const client = harness.client();
    const test = harness.server({
      clientPolicy: { resources: [{ resource: RESOURCE, grants: ['client_credentials'] }] },
    });
    const { challenge } = pkce();
    expect(await outcome(await test.authorize(validParams(client, challenge)))).toBe('unauthorized_client');
  });

  it('the decide hook sees the client, resource, scopes and grant, and may replace the decision', async () => {
    const client = harness.client();
    const seen: unknown[] = [];
    const test = harness.server({
      clientPolicy: {
        resources: [{ resource: RESOURCE, scopes: ['mcp:read'] }],
        decide: ({ client: asking, resource, scopes, grantType, decision }) => {
          seen.push({ clientId: asking.clientId, resource, scopes, grantType, allowed: decision.allowed });
          return scopes.includes('mcp:write')
            ? { allowed: false, error: 'access_denied', reason: 'writes need a ticket' }
            : undefined;
        },
      },
    });
    const { challenge } = pkce();
    expect(
      await outcome(await test.authorize(validParams(client, challenge, { scope: 'mcp:read mcp:write' }))),
    ).toBe('access_denied');
    expect(seen).toEqual([
      {
        clientId: client,
        resource: RESOURCE,
        scopes: ['mcp:read', 'mcp:write'],
        grantType: 'authorization_code',
        allowed: false,
      },
    ]);
  });

  it('refuses a rule for a resource the server does not serve, or a bad grant', () => {
    const base = {
      issuer: ISSUER,
      resources: [RESOURCE],
      store: createMemoryStore(),
      authenticator: testAuthenticator(),
    };
    expect(() =>
      createAuthorizationServer({
        ...base,
        clientPolicy: { resources: [{ resource: 'https://elsewhere.example/mcp' }] },
      }),
    ).toThrow(InvalidOptionError);
    expect(() =>
      createAuthorizationServer({
        ...base,
        clientPolicy: { resources: [{ resource: RESOURCE, grants: ['password'] }] },
      }),
    ).toThrow(/grants names "password"/);
    expect(() =>
      createAuthorizationServer({
        ...base,
        clientPolicy: { resources: [{ resource: RESOURCE }, { resource: 'HTTPS://MCP.EXAMPLE.COM/mcp' }] },
      }),
    ).toThrow(/two rules/);
  });
});

describe('CIMD off', () => {
  it('is not advertised, and a URL client_id is refused on the error page without a fetch', async () => {
    const client = harness.client();
    const test = harness.server({ clientPolicy: { cimd: false } });
    expect(authorizationServerMetadata(test.server.context).client_id_metadata_document_supported).toBe(
      false,
    );
    const response = await test.server.fetch(new Request(`${ISSUER}/.well-known/oauth-authorization-server`));
    expect(((await response.json()) as Record<string, unknown>).client_id_metadata_document_supported).toBe(
      false,
    );
    const { challenge } = pkce();
    const page = await errorPage(await test.authorize(validParams(client, challenge)));
    expect(page).toMatch(/CIMD is turned off/);
    expect(harness.hits(client)).toBe(0);
  });

  it('is advertised by default, and not when the policy accepts no CIMD client', async () => {
    expect(
      authorizationServerMetadata(harness.server().server.context).client_id_metadata_document_supported,
    ).toBe(true);
    const registeredOnly = harness.server({
      clientPolicy: {
        resources: [
          { resource: RESOURCE, clients: ['dcr_abc'] },
          { resource: OTHER_RESOURCE, clients: [] },
        ],
      },
    });
    expect(
      authorizationServerMetadata(registeredOnly.server.context).client_id_metadata_document_supported,
    ).toBe(false);
    const emptyAllowlist = harness.server({
      clients: { trustPolicy: { mode: 'allowlist', deny: ['x.example'] } },
    });
    expect(
      authorizationServerMetadata(emptyAllowlist.server.context).client_id_metadata_document_supported,
    ).toBe(false);
  });
});

describe('server-wide redirect URI patterns at /authorize', () => {
  it('refuse a registered redirect URI outside them on the error page, never redirecting', async () => {
    const client = harness.client({
      redirect_uris: ['http://127.0.0.1/callback', 'http://127.0.0.1/other'],
    });
    const test = harness.server({ clientPolicy: { allowedRedirectUris: ['http://127.0.0.1:*/callback'] } });
    const { challenge } = pkce();
    expect(await outcome(await test.authorize(validParams(client, challenge)))).toBeUndefined();
    const page = await errorPage(
      await test.authorize(validParams(client, challenge, { redirect_uri: 'http://127.0.0.1:51004/other' })),
    );
    expect(page).toMatch(/its operator allows/);
  });
});
