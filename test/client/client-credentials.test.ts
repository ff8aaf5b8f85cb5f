/**
 * `createClientCredentialsFetch` (what `connect({ grant: 'client_credentials' })` runs on) against
 * a small loopback server playing the MCP server (RFC 9728 metadata, a bearer check) and its
 * authorization server (RFC 8414 metadata, a token endpoint that records each request): discovery
 * checks, the token request's shape, one token shared by concurrent requests, renewal on expiry
 * and on a 401, and the refusals that happen before any token is asked for.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createClientCredentialsFetch } from '../../src/client/client-credentials.js';
import { isSignInError } from '../../src/client/errors.js';
import { createKeySet, generateClientKey, signClientAssertion } from '../../src/keys/index.js';

const CLIENT_ID = 'https://agent.example.com/client.json';

interface Fake {
  origin: string;
  resource: string;
  tokenRequests: URLSearchParams[];
  /** Access tokens the MCP endpoint accepts. */
  accepted: Set<string>;
  close(): Promise<void>;
}

interface FakeOptions {
  metadata?: (origin: string) => Record<string, unknown>;
  expiresIn?: number;
}

let fake: Fake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function startFake(options: FakeOptions = {}): Promise<Fake> {
  const tokenRequests: URLSearchParams[] = [];
  const accepted = new Set<string>();
  let counter = 0;
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const path = new URL(req.url ?? '/', origin).pathname;
    if (path === '/.well-known/oauth-protected-resource/mcp') {
      return send(200, { resource: `${origin}/mcp`, authorization_servers: [origin] });
    }
    if (path === '/.well-known/oauth-authorization-server') {
      return send(
        200,
        options.metadata?.(origin) ?? {
          issuer: origin,
          authorization_endpoint: `${origin}/authorize`,
          token_endpoint: `${origin}/token`,
          grant_types_supported: ['authorization_code', 'client_credentials'],
          token_endpoint_auth_methods_supported: ['private_key_jwt'],
          response_types_supported: ['code'],
        },
      );
    }
    if (path === '/token' && req.method === 'POST') {
      let text = '';
      for await (const chunk of req) text += chunk;
      const form = new URLSearchParams(text);
      tokenRequests.push(form);
      counter += 1;
      const token = `token-${counter}`;
      accepted.add(token);
      return send(200, { access_token: token, token_type: 'Bearer', expires_in: options.expiresIn ?? 600 });
    }
    if (path === '/mcp') {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (token === undefined || !accepted.has(token)) {
        return send(
          401,
          { error: 'invalid_token' },
          {
            'www-authenticate': `Bearer error="invalid_token", resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`,
          },
        );
      }
      return send(200, { ok: true, token });
    }
    send(404, { error: 'not_found' });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake = {
    origin,
    resource: `${origin}/mcp`,
    tokenRequests,
    accepted,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}

async function signer() {
  const keySet = await createKeySet(await generateClientKey('ES256'));
  return (claims: { clientId: string; audience: string }) => signClientAssertion({ keySet, ...claims });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as Error,
  );
}

describe('createClientCredentialsFetch', () => {
  it('discovers the AS from the protected-resource metadata and sends grant_type, resource and a private_key_jwt assertion (aud = issuer)', async () => {
    const f = await startFake();
    const agentFetch = createClientCredentialsFetch({
      serverUrl: f.resource,
      clientId: CLIENT_ID,
      signer: await signer(),
      scope: 'mcp:tools',
    });
    const response = await agentFetch(f.resource, { method: 'POST', body: '{}' });
    expect(((await response.json()) as { token: string }).token).toBe('token-1');
    const [form] = f.tokenRequests;
    expect(form?.get('grant_type')).toBe('client_credentials');
    expect(form?.get('resource')).toBe(f.resource);
    expect(form?.get('scope')).toBe('mcp:tools');
    expect(form?.get('client_id')).toBe(CLIENT_ID);
    expect(form?.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const assertion = form?.get('client_assertion') ?? '';
    expect(decodeProtectedHeader(assertion).typ).toBe('client-authentication+jwt');
    expect(decodeJwt(assertion)).toMatchObject({ iss: CLIENT_ID, sub: CLIENT_ID, aud: f.origin });
  });

  it('concurrent requests share one token request; the token is reused while fresh', async () => {
    const f = await startFake();
    const agentFetch = createClientCredentialsFetch({
      serverUrl: f.resource,
      clientId: CLIENT_ID,
      signer: await signer(),
    });
    const responses = await Promise.all([1, 2, 3, 4].map(() => agentFetch(f.resource, { method: 'POST' })));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await agentFetch(f.resource, { method: 'POST' });
    expect(f.tokenRequests).toHaveLength(1);
  });

  it('asks for a new token once the current one is about to expire', async () => {
    const f = await startFake({ expiresIn: 60 });
    let now = Date.now();
    const agentFetch = createClientCredentialsFetch({
      serverUrl: f.resource,
      clientId: CLIENT_ID,
      signer: await signer(),
      now: () => now,
    });
    await agentFetch(f.resource);
    now += 29_000;
    await agentFetch(f.resource);
    expect(f.tokenRequests).toHaveLength(1);
    now += 2000; // within the last 30 s
    const response = await agentFetch(f.resource);
    expect(((await response.json()) as { token: string }).token).toBe('token-2');
    expect(f.tokenRequests).toHaveLength(2);
  });

  it('a 401 from the MCP server: one new token and one retry', async () => {
    const f = await startFake();
    const agentFetch = createClientCredentialsFetch({
      serverUrl: f.resource,
      clientId: CLIENT_ID,
      signer: await signer(),
    });
    await agentFetch(f.resource);
    f.accepted.clear(); // the server forgets every token (revoked, key rotated, restarted)
    const response = await agentFetch(f.resource, { method: 'POST', body: '{"a":1}' });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { token: string }).token).toBe('token-2');
    expect(f.tokenRequests).toHaveLength(2);
  });

  it('metadata whose issuer is not the authorization server named by the resource is refused (RFC 8414 §3.3), before any token request', async () => {
    const f = await startFake({
      metadata: (origin) => ({
        issuer: 'https://evil.example.com',
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        response_types_supported: ['code'],
      }),
    });
    const agentFetch = createClientCredentialsFetch({
      serverUrl: f.resource,
      clientId: CLIENT_ID,
      signer: await signer(),
    });
    const error = await failure(agentFetch.authorize());
    expect(isSignInError(error) && error.code).toBe('ERR_SIGNIN_ISSUER_MISMATCH');
    expect(f.tokenRequests).toHaveLength(0);
  });

  it('a server that does not list client_credentials (policy off) is refused with a clear message, before any token request', async () => {
    const f = await startFake({
      metadata: (origin) => ({
        issuer: origin,
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        grant_types_supported: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
        response_types_supported: ['code'],
      }),
    });
    const agentFetch = createClientCredentialsFetch({
      serverUrl: f.resource,
      clientId: CLIENT_ID,
      signer: await signer(),
    });
    const error = await failure(agentFetch.authorize());
    expect(isSignInError(error) && error.code).toBe('ERR_SIGNIN_SERVER_UNSUPPORTED');
    expect(error.message).toMatch(/client_credentials/);
    expect(f.tokenRequests).toHaveLength(0);
  });

  it('a server without private_key_jwt is refused (never a weaker method)', async () => {
    const f = await startFake({
      metadata: (origin) => ({
        issuer: origin,
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
        response_types_supported: ['code'],
      }),
    });
    const agentFetch = createClientCredentialsFetch({
      serverUrl: f.resource,
      clientId: CLIENT_ID,
      signer: await signer(),
    });
    const error = await failure(agentFetch.authorize());
    expect(isSignInError(error) && error.code).toBe('ERR_SIGNIN_AUTH_METHOD');
    expect(f.tokenRequests).toHaveLength(0);
  });
});
