/**
 * Enterprise-managed authorization (issue 10 point 6, SEP-990): the JWT bearer grant (RFC 7523
 * §2.1) with an Identity Assertion JWT Authorization Grant (`typ` `oauth-id-jag+jwt`) from an
 * enterprise identity provider the operator trusts. The IdP stand-in publishes its JWKS on
 * loopback and signs ID-JAGs with jose. Each refusal is a named test.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TrustedAssertionIssuer } from '../../../src/server/auth/trusted-assertion-issuers.js';
import { JWT_BEARER_GRANT } from '../../../src/server/grants/jwt-bearer.js';
import { subjectFor } from '../../../src/server/index.js';
import {
  type CimdHost,
  createKey,
  createTestServer,
  expectOAuthError,
  expectTokens,
  ISSUER,
  type KeyClient,
  keyClient,
  OTHER_RESOURCE,
  publicClient,
  RESOURCE,
  startCimdHost,
  type TestKey,
  type TestServer,
} from './harness.js';

const IDP = 'https://idp.enterprise.example';

interface Idp {
  issuer: string;
  jwksUri: string;
  sign(claims: JWTPayload, header?: { typ?: string; alg?: string }): Promise<string>;
  close(): Promise<void>;
}

/** An enterprise IdP stand-in: an ES256 key, its JWKS on 127.0.0.1. */
async function startIdp(issuer = IDP): Promise<Idp> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' }] };
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    issuer,
    jwksUri: `http://127.0.0.1:${port}/jwks`,
    sign: (claims, header = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({
          alg: header.alg ?? 'ES256',
          kid: 'idp-1',
          typ: header.typ ?? 'oauth-id-jag+jwt',
        })
        .sign(privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let host: CimdHost;
let key: TestKey;
let idp: Idp;
let stranger: Idp;
let t: TestServer | undefined;

beforeAll(async () => {
  host = await startCimdHost();
  key = await createKey('agent-1');
  idp = await startIdp();
  stranger = await startIdp('https://stranger.example');
});
afterAll(async () => {
  await host.close();
  await idp.close();
  await stranger.close();
});
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function server(trusted: TrustedAssertionIssuer[] = [{ issuer: idp.issuer, jwksUri: idp.jwksUri }]) {
  t = await createTestServer(host, { trustedAssertionIssuers: trusted });
  return t;
}

function client(): KeyClient {
  return keyClient(host, [key], 'jwks_uri', { client_name: 'Enterprise agent' });
}

/** The claims of a valid ID-JAG for `clientId`, at the server's clock. */
function claims(s: TestServer, clientId: string, extra: JWTPayload = {}): JWTPayload {
  const now = Math.floor(s.clock.now() / 1000);
  return {
    iss: idp.issuer,
    sub: 'alice@enterprise.example',
    aud: ISSUER,
    client_id: clientId,
    resource: RESOURCE,
    scope: 'mcp:tools mcp:read',
    jti: crypto.randomUUID(),
    iat: now,
    exp: now + 300,
    ...extra,
  };
}

async function grant(s: TestServer, c: KeyClient, assertion: string, extra: Record<string, string> = {}) {
  return s.token({ grant_type: JWT_BEARER_GRANT, assertion, ...(await s.auth(c.clientId, key)), ...extra });
}

describe('ID-JAG: what is granted', () => {
  it('a trusted IdP’s ID-JAG for an authenticated client: a token for our subject of (iss, sub), aud = the resource, the assertion scope, no refresh token', async () => {
    const s = await server();
    const c = client();
    const body = await expectTokens(await grant(s, c, await idp.sign(claims(s, c.clientId))));
    expect(body.refresh_token).toBeUndefined();
    expect(body.scope).toBe('mcp:tools mcp:read');
    const token = decodeJwt(body.access_token);
    expect(token.sub).toBe(await subjectFor(idp.issuer, 'alice@enterprise.example'));
    expect(token.client_id).toBe(c.clientId);
    expect(token.aud).toEqual(RESOURCE);
    expect(token.iss).toBe(ISSUER);
    expect(JSON.stringify(s.logs)).not.toContain(body.access_token);
  });

  it('inline jwks work like a jwksUri; a narrower scope and the named resource are honoured', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'inline' }] };
    const s = await server([{ issuer: 'https://inline.example', jwks }]);
    const c = client();
    const assertion = await new SignJWT(
      claims(s, c.clientId, { iss: 'https://inline.example', resource: [RESOURCE, OTHER_RESOURCE] }),
    )
      .setProtectedHeader({ alg: 'ES256', kid: 'inline', typ: 'oauth-id-jag+jwt' })
      .sign(privateKey);
    const body = await expectTokens(await grant(s, c, assertion, { scope: 'mcp:read', resource: RESOURCE }));
    expect(body.scope).toBe('mcp:read');
    expect(decodeJwt(body.access_token).aud).toEqual(RESOURCE);
  });

  it('RFC 8414: the metadata lists the jwt-bearer grant only when an assertion issuer is trusted', async () => {
    const metadataOf = async (s: TestServer) =>
      (await (
        await s.server.fetch(new Request(`${ISSUER}/.well-known/oauth-authorization-server`))
      ).json()) as {
        grant_types_supported: string[];
      };
    const on = await server();
    expect((await metadataOf(on)).grant_types_supported).toContain(JWT_BEARER_GRANT);
    await on.close();
    t = await createTestServer(host);
    expect((await metadataOf(t)).grant_types_supported).not.toContain(JWT_BEARER_GRANT);
    await expectOAuthError(
      await t.token({ grant_type: JWT_BEARER_GRANT, assertion: 'x' }),
      'unsupported_grant_type',
    );
  });
});

describe('ID-JAG: refusals', () => {
  it('replay: the same jti twice is invalid_grant', async () => {
    const s = await server();
    const c = client();
    const assertion = await idp.sign(claims(s, c.clientId));
    await expectTokens(await grant(s, c, assertion));
    const body = await expectOAuthError(await grant(s, c, assertion), 'invalid_grant');
    expect(body.error_description).toMatch(/already used/);
  });

  it('a public client (no client authentication) is unauthorized_client', async () => {
    const s = await server();
    const pub = publicClient(host);
    const assertion = await idp.sign(claims(s, pub.clientId));
    await expectOAuthError(
      await s.token({ grant_type: JWT_BEARER_GRANT, assertion, client_id: pub.clientId }),
      'unauthorized_client',
    );
  });

  it.each([
    ['typ is not oauth-id-jag+jwt', { typ: 'JWT' }, {}],
    ['an untrusted issuer', {}, { iss: 'https://stranger.example' }],
    ['aud is not our issuer', {}, { aud: 'https://other-as.example' }],
    ['expired', {}, { exp: -1 }],
    ['issued in the future', {}, { iat: 3600 }],
    ['client_id is another client', {}, { client_id: 'https://other.example/client.json' }],
    ['no sub', {}, { sub: undefined }],
    ['no jti', {}, { jti: undefined }],
    ['no resource', {}, { resource: undefined }],
  ] as const)('%s is invalid_grant', async (_name, header, change) => {
    const s = await server();
    const c = client();
    const now = Math.floor(s.clock.now() / 1000);
    const base = claims(s, c.clientId);
    const changed: Record<string, unknown> = { ...base, ...change };
    if ('exp' in change) changed.exp = now + Number(change.exp) * 600;
    if ('iat' in change) changed.iat = now + Number(change.iat);
    for (const [name, value] of Object.entries(changed)) if (value === undefined) delete changed[name];
    await expectOAuthError(await grant(s, c, await idp.sign(changed as JWTPayload, header)), 'invalid_grant');
  });

  it('signed by the untrusted IdP’s key while claiming the trusted issuer is invalid_grant', async () => {
    const s = await server();
    const c = client();
    await expectOAuthError(await grant(s, c, await stranger.sign(claims(s, c.clientId))), 'invalid_grant');
  });

  it('not a JWT, or missing, is refused', async () => {
    const s = await server();
    const c = client();
    await expectOAuthError(await grant(s, c, 'not.a.jwt'), 'invalid_grant');
    await expectOAuthError(
      await s.token({ grant_type: JWT_BEARER_GRANT, ...(await s.auth(c.clientId, key)) }),
      'invalid_request',
    );
  });

  it('a resource this server does not serve, or a resource parameter the assertion does not name, is invalid_target', async () => {
    const s = await server();
    const c = client();
    await expectOAuthError(
      await grant(s, c, await idp.sign(claims(s, c.clientId, { resource: 'https://elsewhere.example/mcp' }))),
      'invalid_target',
    );
    await expectOAuthError(
      await grant(s, c, await idp.sign(claims(s, c.clientId)), { resource: OTHER_RESOURCE }),
      'invalid_target',
    );
  });

  it('a scope beyond the assertion’s is invalid_scope', async () => {
    const s = await server();
    const c = client();
    await expectOAuthError(
      await grant(s, c, await idp.sign(claims(s, c.clientId)), { scope: 'mcp:tools admin' }),
      'invalid_scope',
    );
  });

  it('scope ceiling: a document with "scope": "read" asking for "admin write" does not get them, though the assertion grants them (invalid_scope)', async () => {
    const s = await server();
    const c = keyClient(host, [key], 'jwks_uri', { client_name: 'Enterprise agent', scope: 'read' });
    const wide = { scope: 'read admin write' };
    const refused = await expectOAuthError(
      await grant(s, c, await idp.sign(claims(s, c.clientId, wide)), { scope: 'admin write' }),
      'invalid_scope',
    );
    expect(refused.error_description).toContain("this client's scope (read)");
    const body = await expectTokens(await grant(s, c, await idp.sign(claims(s, c.clientId, wide))));
    expect(body.scope).toBe('read');
    expect(decodeJwt(body.access_token).scope).toBe('read');
  });

  it('scope ceiling: a document without scope is unchanged: the assertion\'s "admin write" is granted', async () => {
    const s = await server();
    const c = client();
    const body = await expectTokens(
      await grant(s, c, await idp.sign(claims(s, c.clientId, { scope: 'admin write' }))),
    );
    expect(body.scope).toBe('admin write');
  });

  it('options: an issuer without exactly one of jwks and jwksUri, or not https, is refused at creation', async () => {
    await expect(createTestServer(host, { trustedAssertionIssuers: [{ issuer: IDP }] })).rejects.toThrow(
      /exactly one of jwks and jwksUri/,
    );
    await expect(
      createTestServer(host, {
        trustedAssertionIssuers: [{ issuer: 'http://idp.example', jwks: { keys: [] } }],
      }),
    ).rejects.toThrow(/https/);
  });
});
