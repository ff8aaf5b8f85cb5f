/**
 * The demo behind `npm start`: `startDemo({ port: 0 })` brings up the authorization server, the
 * protected demo MCP server, the demo client and the client documents on loopback, each
 * answering as the specs say, and shuts down cleanly.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWT_BEARER_ASSERTION_TYPE, signClientAssertion } from '../../src/demo/client-assertion.js';
import { callTool } from '../../src/demo/mcp-call.js';
import { type Demo, startDemo } from '../../src/demo/start.js';
import { createSafeFetcher } from '../../src/fetch/safe-fetch.js';
import { issueAccessToken } from '../../src/server/tokens/access-token.js';
import { validateClientMetadataUrl } from '../../src/validate/validate-document.js';

let demo: Demo;
beforeAll(async () => {
  demo = await startDemo({ port: 0 });
});
afterAll(async () => {
  await demo?.close();
});

/** An access token from the demo authorization server's own signing keys. */
async function tokenFor(audience: string, clientId = demo.clients.public.clientId): Promise<string> {
  const { token } = await issueAccessToken(demo.authorizationServer.server.context.signingKeys, {
    issuer: demo.urls.issuer,
    subject: 'local-developer',
    clientId,
    audience,
    scope: 'mcp:tools',
  });
  return token;
}

describe('startDemo: the protected MCP server (MCP-RS-01/02, DISC-01)', () => {
  it('answers 401 with WWW-Authenticate: Bearer resource_metadata="…" without a token', async () => {
    const response = await fetch(demo.urls.mcp, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${demo.urls.protectedResourceMetadata}"`,
    );
    expect(response.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
  });

  it('publishes protected-resource metadata at the RFC 9728 path, listing the authorization server', async () => {
    expect(demo.urls.protectedResourceMetadata).toBe(
      `${new URL(demo.urls.mcp).origin}/.well-known/oauth-protected-resource/mcp`,
    );
    const response = await fetch(demo.urls.protectedResourceMetadata);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      resource: demo.urls.mcp,
      authorization_servers: [demo.urls.issuer],
      bearer_methods_supported: ['header'],
      resource_name: 'mcp-cimd demo MCP server',
    });
  });

  it('runs whoami for a token from the demo authorization server', async () => {
    const text = await callTool(demo.urls.mcp, await tokenFor(demo.urls.mcp), 'whoami');
    expect(JSON.parse(text)).toMatchObject({
      subject: 'local-developer',
      client_id: demo.clients.public.clientId,
      scopes: ['mcp:tools'],
      resource: demo.urls.mcp,
    });
  });

  it('refuses a token issued for another resource (MCP-RS-04)', async () => {
    const token = await tokenFor('https://other.example.com/mcp');
    const response = await fetch(demo.urls.mcp, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('validate_client_metadata checks the demo documents by URL, and a document given as JSON', async () => {
    const token = await tokenFor(demo.urls.mcp);
    const byUrl = JSON.parse(
      await callTool(demo.urls.mcp, token, 'validate_client_metadata', { url: demo.urls.agentDocument }),
    );
    expect(byUrl).toMatchObject({ checked: true, valid: true });
    const byJson = JSON.parse(
      await callTool(demo.urls.mcp, token, 'validate_client_metadata', {
        document: JSON.stringify({
          client_id: 'http://example.com/c.json',
          client_name: 'x',
          redirect_uris: [],
        }),
      }),
    );
    expect(byJson.valid).toBe(false);
    expect(byJson.findings.length).toBeGreaterThan(0);
  });
});

describe('startDemo: the authorization server', () => {
  it('advertises CIMD in its metadata (CIMD-AS-16)', async () => {
    const response = await fetch(demo.urls.metadata);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      issuer: demo.urls.issuer,
      client_id_metadata_document_supported: true,
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
    });
    expect(demo.urls.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('resolves both demo clients through its registry (the demo CA trusted, loopback allowed)', async () => {
    const { registry } = demo.authorizationServer.server.context;
    const publicClient = await registry.resolveClient(demo.urls.publicDocument);
    expect(publicClient.authMethod).toBe('none');
    const agent = await registry.resolveClient(demo.urls.agentDocument);
    expect(agent.authMethod).toBe('private_key_jwt');
  });

  it("verifies the agent's private_key_jwt assertion against the keys at its jwks_uri (PKJ-01)", async () => {
    const { registry, assertions } = demo.authorizationServer.server.context;
    const agent = await registry.resolveClient(demo.urls.agentDocument);
    const verified = await assertions.verify(
      agent,
      new URLSearchParams({
        client_id: demo.urls.agentDocument,
        client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
        client_assertion: await signClientAssertion(demo.clients.agent, demo.urls.issuer),
      }),
    );
    expect(verified.clientId).toBe(demo.urls.agentDocument);
    expect(verified.alg).toBe('ES256');
  });
});

describe('startDemo: the client documents', () => {
  it.each(['publicDocument', 'agentDocument'] as const)(
    '%s validates with validateClientMetadataUrl (allowPrivateNetwork and the demo CA), with the demo callback',
    async (which) => {
      const fetcher = createSafeFetcher({ allowPrivateNetwork: true, ca: demo.ca.cert });
      try {
        const report = await validateClientMetadataUrl(demo.urls[which], {
          fetcher,
          allowPrivateNetwork: true,
          redirectUris: [demo.urls.callback],
        });
        expect(report.findings.filter((finding) => finding.severity === 'error')).toEqual([]);
        expect(report).toMatchObject({ checked: true, valid: true });
        expect(report.redirectUris).toEqual([expect.objectContaining({ accepted: true })]);
        expect(report.checks.every((check) => check.ok)).toBe(true);
      } finally {
        await fetcher.close();
      }
    },
  );

  it('serves them over https with a CA file usable as NODE_EXTRA_CA_CERTS', () => {
    expect(demo.urls.publicDocument).toMatch(/^https:\/\/localhost:\d+\/oauth\/client\.json$/);
    expect(demo.urls.jwks).toMatch(/^https:\/\/localhost:\d+\/oauth\/jwks\.json$/);
    expect(existsSync(demo.ca.path)).toBe(true);
  });
});

describe('startDemo: the demo client', () => {
  it('/start sends the browser to /authorize with PKCE S256, state, the resource and its callback', async () => {
    const response = await fetch(`${demo.urls.client}start?client=agent`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(`${demo.urls.issuer}/authorize`);
    expect(Object.fromEntries(location.searchParams)).toEqual({
      response_type: 'code',
      client_id: demo.urls.agentDocument,
      redirect_uri: demo.urls.callback,
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
      state: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      resource: demo.urls.mcp,
    });
  });

  it('refuses a callback whose state it did not issue, and a response from another issuer', async () => {
    const unknown = await fetch(`${demo.urls.callback}?code=x&state=forged`);
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('Unknown or expired request');
    const state = new URL(demo.authorize('public')).searchParams.get('state') ?? '';
    const mixUp = await fetch(`${demo.urls.callback}?code=x&state=${state}&iss=https%3A%2F%2Fevil.example`);
    expect(mixUp.status).toBe(400);
    expect(await mixUp.text()).toContain('Wrong issuer');
  });

  it('serves its start page with a link per client', async () => {
    const response = await fetch(demo.urls.client);
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('/start?client=public');
    expect(page).toContain('/start?client=agent');
  });
});

describe('startDemo: shutdown', () => {
  it('closes every server and removes the temporary SQLite folder and CA', async () => {
    const logged: Record<string, unknown>[] = [];
    const record = (fields: Record<string, unknown>) => logged.push(fields);
    const logger = { debug: record, info: record, warn: record, error: record };
    const other = await startDemo({ port: 0, store: 'sqlite', logger });
    const urls = other.urls;
    const listening = logged.find((fields) => fields.event === 'listening');
    const database = (listening?.store as { path?: string } | undefined)?.path ?? '';
    expect(database).toMatch(/demo\.sqlite$/);
    expect(existsSync(database)).toBe(true);
    expect((await fetch(urls.metadata)).status).toBe(200);
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(5000);
    for (const url of [urls.metadata, urls.mcp, urls.client]) await expect(fetch(url)).rejects.toThrow();
    expect(existsSync(other.ca.path)).toBe(false);
    expect(existsSync(dirname(database))).toBe(false);
  });

  it('refuses a host that is not loopback', async () => {
    await expect(startDemo({ port: 0, host: '0.0.0.0' })).rejects.toThrow(/loopback only/);
  });
});
