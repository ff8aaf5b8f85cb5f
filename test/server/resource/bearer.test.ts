import { base64url, createLocalJWKSet, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InsufficientScopeError,
  InvalidTokenError,
  TemporarilyUnavailableError,
} from '../../../src/server/oauth-errors.js';
import { createAccessTokenVerifier } from '../../../src/server/resource/bearer.js';
import { createSigningKeyManager } from '../../../src/server/tokens/signing-keys.js';
import {
  authorizationServer,
  CLIENT_ID,
  close,
  ISSUER,
  listen,
  OTHER_RESOURCE,
  RESOURCE,
} from './helpers.js';

const as = authorizationServer();

async function expectInvalid(token: string, description: RegExp, options = {}) {
  const verifier = await as.verifier(options);
  const error = await verifier.verifyAccessToken(token).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(InvalidTokenError);
  expect((error as InvalidTokenError).status).toBe(401);
  expect((error as InvalidTokenError).message).toMatch(description);
}

describe('createAccessTokenVerifier: a valid token', () => {
  it('round trip: issue -> verify gives the SDK AuthInfo', async () => {
    const token = await as.issue({ scope: 'mcp:tools mcp:read', authTime: Date.now() - 60_000 });
    const info = await (await as.verifier()).verifyAccessToken(token);
    expect(info.token).toBe(token);
    expect(info.clientId).toBe(CLIENT_ID);
    expect(info.scopes).toEqual(['mcp:tools', 'mcp:read']);
    expect(info.expiresAt).toBeGreaterThan(Date.now() / 1000);
    expect(info.resource).toEqual(new URL(RESOURCE));
    expect(info.extra).toMatchObject({ subject: 'user-1', issuer: ISSUER, jti: expect.any(String) });
    expect(info.extra?.authTime).toEqual(expect.any(Number));
  });

  it('accepts typ application/at+jwt', async () => {
    const token = await as.sign(as.claims(), { typ: 'application/at+jwt' });
    await expect((await as.verifier()).verifyAccessToken(token)).resolves.toMatchObject({
      clientId: CLIENT_ID,
    });
  });

  it('MCP-RS-04: accepts a token whose aud array contains this resource, reporting this resource', async () => {
    const token = await as.issue({ audience: [OTHER_RESOURCE, RESOURCE] });
    const info = await (await as.verifier()).verifyAccessToken(token);
    expect(info.resource?.href).toBe(RESOURCE);
  });

  it('a server with several resource identifiers accepts tokens for any of them', async () => {
    const verifier = await as.verifier({ audience: [RESOURCE, OTHER_RESOURCE] });
    const token = await as.issue({ audience: OTHER_RESOURCE });
    expect((await verifier.verifyAccessToken(token)).resource?.href).toBe(OTHER_RESOURCE);
  });

  it('tolerates clock skew (default 30 s) on exp', async () => {
    const now = Date.now();
    const token = await as.sign({ ...as.claims(now - 700_000), exp: Math.floor(now / 1000) - 20 });
    await expect((await as.verifier()).verifyAccessToken(token)).resolves.toBeDefined();
    await expectInvalid(token, /expired/, { clockSkewMs: 5_000 });
  });

  it('verifies tokens signed by a retired key still published after rotation', async () => {
    const keys = createSigningKeyManager();
    const sign = async () => {
      const { kid, alg, key } = await keys.signingKey();
      return new SignJWT(as.claims()).setProtectedHeader({ alg, kid, typ: 'at+jwt' }).sign(key);
    };
    const old = await sign();
    await keys.rotate();
    const fresh = await sign();
    const verifier = createAccessTokenVerifier({
      issuer: ISSUER,
      audience: RESOURCE,
      jwks: await keys.publicJwks(),
    });
    await expect(verifier.verifyAccessToken(old)).resolves.toBeDefined();
    await expect(verifier.verifyAccessToken(fresh)).resolves.toBeDefined();
  });

  it('takes a jose key resolver function', async () => {
    const resolver = createLocalJWKSet(await as.keys.publicJwks());
    const verifier = createAccessTokenVerifier({ issuer: ISSUER, audience: RESOURCE, jwks: resolver });
    await expect(verifier.verifyAccessToken(await as.issue())).resolves.toBeDefined();
  });
});

describe('createAccessTokenVerifier: every rule refuses with invalid_token (401)', () => {
  it('MCP-RS-04: wrong issuer', async () => {
    await expectInvalid(await as.issue({ issuer: 'https://evil.example.com' }), /not issued by the expected/);
  });

  it('MCP-RS-04: a token for another resource (audience-bound, RFC 8707)', async () => {
    await expectInvalid(await as.issue({ audience: OTHER_RESOURCE }), /not issued for this resource/);
  });

  it('MCP-RS-04: an audience that only shares a prefix with this resource', async () => {
    await expectInvalid(await as.issue({ audience: `${RESOURCE}/extra` }), /not issued for this resource/);
    await expectInvalid(
      await as.issue({ audience: 'https://mcp.example.com' }),
      /not issued for this resource/,
    );
  });

  it('MCP-RS-04: expired', async () => {
    const now = Date.now();
    await expectInvalid(
      await as.sign({ ...as.claims(now - 3_600_000), exp: Math.floor(now / 1000) - 60 }),
      /expired/,
    );
  });

  it('no exp at all', async () => {
    const { exp: _exp, ...claims } = as.claims();
    await expectInvalid(await as.sign(claims), /no "exp" claim/);
  });

  it('nbf in the future (beyond the skew)', async () => {
    await expectInvalid(
      await as.sign({ ...as.claims(), nbf: Math.floor(Date.now() / 1000) + 120 }),
      /not valid yet/,
    );
  });

  it('iat in the future (beyond the skew)', async () => {
    const claims = as.claims();
    await expectInvalid(
      await as.sign({ ...claims, iat: (claims.iat as number) + 120 }),
      /issued in the future/,
    );
  });

  it('typ JWT instead of at+jwt, and no typ at all', async () => {
    await expectInvalid(await as.sign(as.claims(), { typ: 'JWT' }), /at\+jwt/);
    const { kid, alg, key } = await as.keys.signingKey();
    const untyped = await new SignJWT(as.claims()).setProtectedHeader({ alg, kid }).sign(key);
    await expectInvalid(untyped, /at\+jwt/);
  });

  it('alg none, with and without a signature segment', async () => {
    const { kid } = await as.keys.signingKey();
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid }));
    const payload = base64url.encode(JSON.stringify(as.claims()));
    await expectInvalid(`${header}.${payload}.`, /not a signed JWT/);
    await expectInvalid(`${header}.${payload}.AAAA`, /algorithm this server does not accept/);
  });

  it('HS256 signed with the public key bytes as the secret (algorithm confusion)', async () => {
    const { keys } = await as.keys.publicJwks();
    const publicJwk = keys[0]!;
    const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
    const token = await new SignJWT(as.claims())
      .setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid!, typ: 'at+jwt' })
      .sign(secret);
    await expectInvalid(token, /algorithm this server does not accept/);
  });

  it('an algorithm outside the configured allowlist', async () => {
    await expectInvalid(await as.issue(), /algorithm this server does not accept/, { algorithms: ['RS256'] });
  });

  it('unknown kid', async () => {
    const stranger = createSigningKeyManager();
    const { alg, key } = await stranger.signingKey();
    const token = await new SignJWT(as.claims())
      .setProtectedHeader({ alg, kid: 'unknown', typ: 'at+jwt' })
      .sign(key);
    await expectInvalid(token, /unknown key/);
  });

  it('signed by another key under our kid', async () => {
    const stranger = createSigningKeyManager();
    const { alg, key } = await stranger.signingKey();
    const { kid } = await as.keys.signingKey();
    const token = await new SignJWT(as.claims()).setProtectedHeader({ alg, kid, typ: 'at+jwt' }).sign(key);
    await expectInvalid(token, /signature is invalid/);
  });

  it('tampered signature, and tampered payload', async () => {
    const token = await as.issue();
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    await expectInvalid(`${header}.${payload}.${flipped}`, /signature is invalid/);
    const forged = base64url.encode(JSON.stringify({ ...as.claims(), scope: 'admin' }));
    await expectInvalid(`${header}.${forged}.${signature}`, /signature is invalid/);
  });

  it('missing client_id, sub or jti (RFC 9068 §2.2)', async () => {
    for (const claim of ['client_id', 'sub', 'jti']) {
      const claims = as.claims();
      delete claims[claim];
      await expectInvalid(await as.sign(claims), new RegExp(`no "${claim}" claim`));
    }
  });

  it('a non-string scope claim', async () => {
    await expectInvalid(
      await as.sign({ ...as.claims(), scope: ['mcp:tools'] }),
      /"scope" claim must be a string/,
    );
  });

  it('garbage and oversized input', async () => {
    await expectInvalid('not-a-jwt', /not a signed JWT/);
    await expectInvalid(`${'a'.repeat(20_000)}.b.c`, /not a signed JWT/);
    await expectInvalid('a.b.c', /malformed/);
  });
});

describe('createAccessTokenVerifier: scopes', () => {
  it('MCP-RS-06: a token without a required scope -> InsufficientScopeError (403)', async () => {
    const verifier = await as.verifier({ requiredScopes: ['mcp:tools', 'mcp:admin'] });
    const error = await verifier
      .verifyAccessToken(await as.issue({ scope: 'mcp:tools' }))
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(InsufficientScopeError);
    expect(error.status).toBe(403);
    expect(error.message).toContain('mcp:admin');
    expect(verifier.requiredScopes).toEqual(['mcp:tools', 'mcp:admin']);
  });

  it('a token with every required scope passes', async () => {
    const verifier = await as.verifier({ requiredScopes: ['mcp:tools'] });
    await expect(
      verifier.verifyAccessToken(await as.issue({ scope: 'mcp:read mcp:tools' })),
    ).resolves.toBeDefined();
  });
});

describe('createAccessTokenVerifier: options', () => {
  it('refuses symmetric or unknown algorithms, and insecure JWKS URLs', async () => {
    const jwks = await as.keys.publicJwks();
    const base = { issuer: ISSUER, audience: RESOURCE, jwks };
    for (const options of [
      { ...base, algorithms: ['HS256'] },
      { ...base, algorithms: ['none'] },
      { ...base, algorithms: [] },
      { ...base, audience: [] },
      { ...base, issuer: '' },
      { ...base, clockSkewMs: -1 },
      { ...base, requiredScopes: ['two words'] },
      { ...base, jwks: 'http://as.example.com/jwks' },
      { ...base, jwks: 'not a url' },
      { ...base, jwks: { nope: true } as never },
    ]) {
      expect(() => createAccessTokenVerifier(options), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });
});

describe('createAccessTokenVerifier: the authorization server JWKS URL', () => {
  const servers: Parameters<typeof close>[0][] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await close(server);
  });

  it('fetches the published keys from the URL (loopback http allowed) once, then caches them', async () => {
    let fetches = 0;
    const { server, origin } = await listen(async (_req, res) => {
      fetches++;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(await as.keys.publicJwks()));
    });
    servers.push(server);
    const verifier = createAccessTokenVerifier({
      issuer: ISSUER,
      audience: RESOURCE,
      jwks: `${origin}/jwks`,
    });
    await expect(verifier.verifyAccessToken(await as.issue())).resolves.toBeDefined();
    await expect(verifier.verifyAccessToken(await as.issue())).resolves.toBeDefined();
    expect(fetches).toBe(1);
  });

  it('answers temporarily_unavailable (503), not invalid_token, when the JWKS cannot be loaded', async () => {
    const { server, origin } = await listen((_req, res) => {
      res.statusCode = 500;
      res.end('down');
    });
    servers.push(server);
    const verifier = createAccessTokenVerifier({
      issuer: ISSUER,
      audience: RESOURCE,
      jwks: new URL(`${origin}/jwks`),
    });
    const error = await verifier.verifyAccessToken(await as.issue()).catch((caught) => caught);
    expect(error).toBeInstanceOf(TemporarilyUnavailableError);
    expect(error.status).toBe(503);
  });
});
