import { once } from 'node:events';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { InvalidTokenError as SdkInvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { Hono, type MiddlewareHandler } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TemporarilyUnavailableError } from '../../../src/server/oauth-errors.js';
import { createAccessTokenVerifier } from '../../../src/server/resource/bearer.js';
import {
  type BearerAuthEnv,
  bearerAuth,
  protectedResourceMetadataRoute,
} from '../../../src/server/resource/hono.js';
import {
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
} from '../../../src/server/resource/protected-resource-metadata.js';
import {
  authorizationServer,
  CLIENT_ID,
  ISSUER,
  OTHER_RESOURCE,
  RESOURCE,
  RESOURCE_METADATA_URL,
} from './helpers.js';

const as = authorizationServer();
const metadata = protectedResourceMetadata({
  resource: RESOURCE,
  authorizationServers: [ISSUER],
  scopesSupported: ['mcp:tools'],
});

async function appWith(requiredScopes: string[] = ['mcp:tools']) {
  const app = new Hono<BearerAuthEnv>();
  protectedResourceMetadataRoute(app, metadata);
  app.use(
    '/mcp',
    bearerAuth({ verifier: await as.verifier(), resourceMetadataUrl: RESOURCE_METADATA_URL, requiredScopes }),
  );
  app.post('/mcp', (c) => c.json({ clientId: c.get('auth').clientId, scopes: c.get('auth').scopes }));
  return app;
}

const post = (app: Hono<BearerAuthEnv>, headers: HeadersInit = {}, path = '/mcp') =>
  app.request(`https://mcp.example.com${path}`, { method: 'POST', headers, body: '{}' });

describe('Hono bearerAuth', () => {
  it('RES-03: a valid token for this resource passes; c.get("auth") carries the AuthInfo', async () => {
    const response = await post(await appWith(), { Authorization: `Bearer ${await as.issue()}` });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ clientId: CLIENT_ID, scopes: ['mcp:tools'] });
  });

  it('reads the scheme case-insensitively', async () => {
    const app = await appWith();
    const token = await as.issue();
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      expect((await post(app, { Authorization: `${scheme} ${token}` })).status).toBe(200);
    }
  });

  it('MCP-RS-02, MCP-RS-03: no token -> 401 with resource_metadata and scope, no error attribute', async () => {
    const response = await post(await appWith());
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${RESOURCE_METADATA_URL}", scope="mcp:tools"`,
    );
    expect(await response.text()).toBe('');
  });

  it('MCP-RS-02: another auth scheme counts as no bearer token', async () => {
    const response = await post(await appWith(), { Authorization: 'Basic dXNlcjpwYXNz' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).not.toContain('error=');
  });

  it('MCP-RS-04: a token for another resource -> 401 invalid_token', async () => {
    const response = await post(await appWith(), {
      Authorization: `Bearer ${await as.issue({ audience: OTHER_RESOURCE })}`,
    });
    expect(response.status).toBe(401);
    const header = response.headers.get('www-authenticate') ?? '';
    expect(header).toContain(`resource_metadata="${RESOURCE_METADATA_URL}"`);
    expect(header).toContain('error="invalid_token"');
    expect(header).toContain('error_description="the access token was not issued for this resource"');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      error: 'invalid_token',
      error_description: 'the access token was not issued for this resource',
    });
  });

  it('MCP-RS-04: an expired token -> 401 invalid_token', async () => {
    const now = Date.now();
    const token = await as.sign({ ...as.claims(now - 3_600_000), exp: Math.floor(now / 1000) - 60 });
    const response = await post(await appWith(), { Authorization: `Bearer ${token}` });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain(
      'error_description="the access token has expired"',
    );
  });

  it('MCP-RS-06: a missing scope -> 403 insufficient_scope with scope and resource_metadata', async () => {
    const response = await post(await appWith(['mcp:tools', 'mcp:admin']), {
      Authorization: `Bearer ${await as.issue({ scope: 'mcp:tools' })}`,
    });
    expect(response.status).toBe(403);
    const header = response.headers.get('www-authenticate') ?? '';
    expect(header).toMatch(/^Bearer /);
    expect(header).toContain('error="insufficient_scope"');
    expect(header).toContain('scope="mcp:tools mcp:admin"');
    expect(header).toContain(`resource_metadata="${RESOURCE_METADATA_URL}"`);
    expect((await response.json()).error).toBe('insufficient_scope');
  });

  it('MCP-RS-06: the verifier’s own required scopes are named in the challenge too', async () => {
    const app = new Hono<BearerAuthEnv>();
    const verifier = await as.verifier({ requiredScopes: ['mcp:admin'] });
    app.use('/mcp', bearerAuth({ verifier, resourceMetadataUrl: RESOURCE_METADATA_URL }));
    app.post('/mcp', (c) => c.text('ok'));
    const response = await post(app, { Authorization: `Bearer ${await as.issue()}` });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('scope="mcp:admin"');
  });

  it('MCP-C-20: a token in the query string is refused (400 invalid_request), even next to a header', async () => {
    const app = await appWith();
    const token = await as.issue();
    for (const headers of [{}, { Authorization: `Bearer ${token}` }]) {
      const response = await post(app, headers, `/mcp?access_token=${token}`);
      expect(response.status).toBe(400);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_request"');
      expect((await response.json()).error_description).toMatch(/not accepted in the URL/);
    }
  });

  it('a malformed Authorization header or two of them -> 400 invalid_request', async () => {
    const app = await appWith();
    const token = await as.issue();
    const twice = new Headers();
    twice.append('Authorization', `Bearer ${token}`);
    twice.append('Authorization', `Bearer ${token}`);
    for (const headers of [
      { Authorization: 'Bearer' },
      { Authorization: 'Bearer a b' },
      { Authorization: 'Bearer ä' },
      twice,
    ]) {
      const response = await post(app, headers);
      expect(response.status, JSON.stringify([...new Headers(headers)])).toBe(400);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_request"');
    }
  });

  it('understands the MCP SDK’s verifier errors, and never leaks unexpected ones', async () => {
    const app = new Hono<BearerAuthEnv>();
    const failures: Record<string, Error> = {
      sdk: new SdkInvalidTokenError('revoked'),
      down: new TemporarilyUnavailableError('keys unavailable'),
      bug: new Error('secret internal detail'),
    };
    for (const [name, error] of Object.entries(failures)) {
      const verifier = { verifyAccessToken: () => Promise.reject(error) };
      app.use(`/${name}`, bearerAuth({ verifier, resourceMetadataUrl: RESOURCE_METADATA_URL }));
      app.post(`/${name}`, (c) => c.text('ok'));
    }
    const auth = { Authorization: 'Bearer abc' };
    const sdk = await post(app, auth, '/sdk');
    expect(sdk.status).toBe(401);
    expect(sdk.headers.get('www-authenticate')).toContain('error_description="revoked"');
    const down = await post(app, auth, '/down');
    expect(down.status).toBe(503);
    expect((await down.json()).error).toBe('temporarily_unavailable');
    const bug = await post(app, auth, '/bug');
    expect(bug.status).toBe(500);
    const body = await bug.text();
    expect(body).not.toContain('secret');
    expect(JSON.parse(body).error).toBe('server_error');
  });

  it('refuses to be created without resourceMetadataUrl or verifier', () => {
    expect(() =>
      bearerAuth({ verifier: undefined as never, resourceMetadataUrl: RESOURCE_METADATA_URL }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() =>
      bearerAuth({
        verifier: { verifyAccessToken: async () => ({}) as never },
        resourceMetadataUrl: undefined as never,
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});

describe('Hono protectedResourceMetadataRoute', () => {
  const prmPath = new URL(protectedResourceMetadataUrl(RESOURCE)).pathname;

  it('DISC-02, MCP-RS-01: GET at the well-known path -> 200 application/json with CORS *', async () => {
    const app = await appWith();
    const response = await app.request(prmPath);
    expect(prmPath).toBe('/.well-known/oauth-protected-resource/mcp');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(await response.json()).toEqual(metadata);
  });

  it('answers the CORS preflight (browsers send MCP-Protocol-Version) and HEAD', async () => {
    const app = await appWith();
    const preflight = await app.request(prmPath, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://app.example',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'mcp-protocol-version',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('mcp-protocol-version');
    const head = await app.request(prmPath, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await app.request(prmPath, { method: 'POST' })).status).toBe(405);
  });
});

describe('Hono on a real loopback listener (@hono/node-server)', () => {
  let server: Server;
  let origin: string;
  let resource: string;

  beforeAll(async () => {
    const app = new Hono<BearerAuthEnv>();
    let guard: MiddlewareHandler<BearerAuthEnv> | undefined;
    app.get('/jwks', async (c) => c.json(await as.keys.publicJwks()));
    app.use('/mcp', (c, next) => (guard as MiddlewareHandler<BearerAuthEnv>)(c, next));
    app.post('/mcp', (c) => c.json({ clientId: c.get('auth').clientId }));
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    await once(server, 'listening');
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    resource = `${origin}/mcp`;
    protectedResourceMetadataRoute(
      app,
      protectedResourceMetadata({ resource, authorizationServers: [ISSUER] }),
    );
    // The verifier loads the keys from the authorization server's /jwks URL.
    const verifier = createAccessTokenVerifier({
      issuer: ISSUER,
      audience: resource,
      jwks: new URL(`${origin}/jwks`),
    });
    guard = bearerAuth({ verifier, resourceMetadataUrl: protectedResourceMetadataUrl(resource) });
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('MCP-RS-02, MCP-RS-04, DISC-01: 401 challenge -> metadata -> a valid token passes, another audience does not', async () => {
    const anonymous = await fetch(resource, { method: 'POST', body: '{}' });
    expect(anonymous.status).toBe(401);
    const challenge = anonymous.headers.get('www-authenticate') ?? '';
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    expect(metadataUrl).toBe(`${origin}/.well-known/oauth-protected-resource/mcp`);
    const prm = await fetch(metadataUrl!);
    expect(await prm.json()).toEqual({
      resource,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ['header'],
    });

    const ok = await fetch(resource, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await as.issue({ audience: resource })}` },
      body: '{}',
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ clientId: CLIENT_ID });

    const wrong = await fetch(resource, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await as.issue({ audience: RESOURCE })}` },
      body: '{}',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('two Authorization header lines on the wire -> 400 invalid_request', async () => {
    const token = await as.issue({ audience: resource });
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest(resource, {
        method: 'POST',
        headers: [
          'Authorization',
          `Bearer ${token}`,
          'Authorization',
          `Bearer ${token}`,
          'Content-Length',
          '2',
        ],
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(400);
  });
});
