/**
 * private_key_jwt verification with keys inline in the client's document: parameters,
 * algorithms, typ, claims, signature, replay and the key-binding result.
 */
import { createSign, generateKeyPairSync } from 'node:crypto';
import {
  CompactSign,
  type CryptoKey,
  calculateJwkThumbprint,
  exportSPKI,
  importJWK,
  type JWK,
  SignJWT,
  UnsecuredJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/errors.js';
import { createSafeFetcher, type SafeFetcher } from '../../../src/fetch/index.js';
import {
  type ClientAssertionVerifier,
  type ClientAssertionVerifierOptions,
  createClientAssertionVerifier,
} from '../../../src/server/auth/index.js';
import { InvalidClientError } from '../../../src/server/oauth-errors.js';
import {
  CLIENT_ID,
  type Clock,
  claimsAt,
  clientWith,
  createClock,
  createKey,
  createTestStore,
  expectInvalidClient,
  expectInvalidRequest,
  ISSUER,
  JWT_BEARER,
  jwksOf,
  paramsFor,
  rejectionOf,
  sign,
  T0,
  type TestKey,
  type TestStore,
  TOKEN_ENDPOINT,
} from './helpers.js';

const ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'] as const;

let fetcher: SafeFetcher;
const keys = new Map<string, TestKey>();
let es: TestKey;
let other: TestKey;

beforeAll(async () => {
  fetcher = createSafeFetcher();
  for (const alg of ALGS) keys.set(alg, await createKey(alg, `k-${alg}`));
  es = keys.get('ES256')!;
  other = await createKey('ES256', 'k-ES256');
});
afterAll(async () => {
  await fetcher.close();
});

interface Setup {
  clock: Clock;
  store: TestStore;
  verifier: ClientAssertionVerifier;
}

function setup(options: Partial<ClientAssertionVerifierOptions> = {}): Setup {
  const clock = createClock();
  const store = createTestStore(clock.now);
  const verifier = createClientAssertionVerifier({
    issuer: ISSUER,
    tokenEndpoint: TOKEN_ENDPOINT,
    store,
    fetcher,
    now: clock.now,
    ...options,
  });
  return { clock, store, verifier };
}

const inlineClient = () => clientWith({ jwks: jwksOf(...keys.values()) } as never);

describe('valid assertions with inline jwks', () => {
  for (const alg of ALGS) {
    it(`PKJ-10 PKJ-17 accepts ${alg} and reports the key binding`, async () => {
      const { verifier } = setup();
      const key = keys.get(alg)!;
      const assertion = await sign(key, T0, { claims: { jti: `jti-${alg}` } });
      const result = await verifier.verify(inlineClient(), paramsFor(assertion));
      expect(result).toEqual({
        clientId: CLIENT_ID,
        jti: `jti-${alg}`,
        alg,
        kid: key.kid,
        keyThumbprint: await calculateJwkThumbprint(key.publicJwk),
        expiresAt: (Math.floor(T0 / 1000) + 60) * 1000,
        keySource: 'jwks',
      });
    });
  }

  it('PKJ-02 accepts a client_id parameter naming the same client, and a plain-object body', async () => {
    const { verifier } = setup();
    const assertion = await sign(es, T0);
    const body = { client_assertion_type: JWT_BEARER, client_assertion: assertion, client_id: CLIENT_ID };
    await expect(verifier.verify(inlineClient(), body)).resolves.toMatchObject({ clientId: CLIENT_ID });
  });

  it('PKJ-17 reports the published kid when the header names none, trying each fitting key', async () => {
    const { verifier } = setup();
    const second = await createKey('ES256', 'second');
    const client = clientWith({ jwks: jwksOf(es, second) } as never);
    const assertion = await sign(second, T0, { header: { kid: undefined } });
    const result = await verifier.verify(client, paramsFor(assertion));
    expect(result.kid).toBe('second');
    expect(result.keyThumbprint).toBe(await calculateJwkThumbprint(second.publicJwk));
  });

  it('PKJ-17 isKeyStillPublished follows the current document', async () => {
    const { verifier } = setup();
    const thumbprint = await calculateJwkThumbprint(es.publicJwk);
    expect(await verifier.isKeyStillPublished(inlineClient(), thumbprint)).toBe(true);
    const rotated = clientWith({ jwks: jwksOf(keys.get('RS256')!) } as never);
    expect(await verifier.isKeyStillPublished(rotated, thumbprint)).toBe(false);
  });
});

describe('PKJ-01 PKJ-02 PKJ-16 request parameters', () => {
  it('PKJ-01 refuses another client_assertion_type with invalid_client', async () => {
    const { verifier } = setup();
    const assertion = await sign(es, T0);
    const params = paramsFor(assertion, {
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
    });
    await expectInvalidClient(verifier.verify(inlineClient(), params), /client_assertion_type must be urn:/);
  });

  it('PKJ-01 refuses two client_assertion parameters with invalid_request', async () => {
    const { verifier } = setup();
    const params = paramsFor(await sign(es, T0));
    params.append('client_assertion', await sign(es, T0));
    await expectInvalidRequest(
      verifier.verify(inlineClient(), params),
      /client_assertion parameter is repeated/,
    );
  });

  it('PKJ-01 refuses a type without an assertion', async () => {
    const { verifier } = setup();
    const params = new URLSearchParams({ client_assertion_type: JWT_BEARER });
    await expectInvalidClient(
      verifier.verify(inlineClient(), params),
      /client_assertion parameter is missing/,
    );
  });

  it('PKJ-02 refuses a client_id parameter naming another client', async () => {
    const { verifier } = setup();
    const params = paramsFor(await sign(es, T0), { client_id: 'https://b.example/c.json' });
    await expectInvalidClient(
      verifier.verify(inlineClient(), params),
      /client_id parameter names a different/,
    );
  });

  it('PKJ-16 refuses a private_key_jwt client that sends no assertion', async () => {
    const { verifier } = setup();
    const params = new URLSearchParams({ client_id: CLIENT_ID, grant_type: 'refresh_token' });
    await expectInvalidClient(verifier.verify(inlineClient(), params), /authenticates with private_key_jwt/);
  });

  it('PKJ-17 refuses an assertion from a client whose document says token_endpoint_auth_method none', async () => {
    const { verifier } = setup();
    const client = clientWith({ jwks: jwksOf(es) } as never, { authMethod: 'none' });
    await expectInvalidClient(verifier.verify(client, paramsFor(await sign(es, T0))), /not private_key_jwt/);
  });
});

describe('PKJ-10 PKJ-11 algorithms, signature and form', () => {
  it('PKJ-10 refuses alg none', async () => {
    const { verifier } = setup();
    const unsigned = new UnsecuredJWT(claimsAt(T0)).encode();
    await expectInvalidClient(
      verifier.verify(inlineClient(), paramsFor(unsigned)),
      /unsigned \(alg "none"\)/,
    );
  });

  it('PKJ-10 refuses HS256 keyed with the public key bytes (algorithm confusion)', async () => {
    const { verifier } = setup();
    const rsa = keys.get('RS256')!;
    const publicPem = await exportSPKI((await importJWK(rsa.publicJwk, 'RS256')) as CryptoKey);
    const forged = await new SignJWT(claimsAt(T0))
      .setProtectedHeader({ alg: 'HS256', kid: rsa.kid })
      .sign(new TextEncoder().encode(publicPem));
    await expectInvalidClient(
      verifier.verify(inlineClient(), paramsFor(forged)),
      /symmetric algorithm HS256/,
    );
  });

  it('PKJ-10 refuses a valid signature from a key that is not in the document', async () => {
    const { verifier } = setup();
    const forged = await sign(other, T0);
    await expectInvalidClient(
      verifier.verify(inlineClient(), paramsFor(forged)),
      /signature does not verify/,
    );
  });

  it('PKJ-10 refuses an assertion whose kid is not in the document', async () => {
    const { verifier } = setup();
    const stranger = await createKey('ES256', 'stranger');
    await expectInvalidClient(
      verifier.verify(inlineClient(), paramsFor(await sign(stranger, T0))),
      /kid is not in the client's key set/,
    );
  });

  it('PKJ-10 refuses an algorithm the named key cannot verify', async () => {
    const { verifier } = setup();
    // Signed with the ES256 key but claiming RS256 with the ES256 key's kid.
    const header = { alg: 'ES256', kid: keys.get('RS256')!.kid };
    const assertion = await sign(es, T0, { header });
    await expectInvalidClient(verifier.verify(inlineClient(), paramsFor(assertion)), /cannot verify ES256/);
  });

  it("PKJ-10 accepts only the document's token_endpoint_auth_signing_alg when it names one", async () => {
    const { verifier } = setup();
    const client = clientWith({
      jwks: jwksOf(...keys.values()),
      token_endpoint_auth_signing_alg: 'ES256',
    } as never);
    await expect(verifier.verify(client, paramsFor(await sign(es, T0)))).resolves.toMatchObject({
      alg: 'ES256',
    });
    await expectInvalidClient(
      verifier.verify(client, paramsFor(await sign(keys.get('RS256')!, T0))),
      /signed with "RS256" but the client's token_endpoint_auth_signing_alg is ES256/,
    );
  });

  it('PKJ-10 refuses a document naming a symmetric token_endpoint_auth_signing_alg', async () => {
    const { verifier } = setup();
    const client = clientWith({ jwks: jwksOf(es), token_endpoint_auth_signing_alg: 'HS256' } as never);
    await expectInvalidClient(verifier.verify(client, paramsFor(await sign(es, T0))), /does not accept/);
  });

  it('PKJ-11 refuses a malformed JWS and non-JSON claims', async () => {
    const { verifier } = setup();
    await expectInvalidClient(verifier.verify(inlineClient(), paramsFor('abc.def')), /not a well-formed/);
    const notJson = await new CompactSign(new TextEncoder().encode('not json'))
      .setProtectedHeader({ alg: 'ES256', kid: es.kid })
      .sign(es.privateKey);
    await expectInvalidClient(verifier.verify(inlineClient(), paramsFor(notJson)), /not a well-formed/);
  });

  it('PKJ-11 refuses an absurdly long assertion', async () => {
    const { verifier } = setup();
    const huge = await sign(es, T0, { claims: { pad: 'x'.repeat(20_000) } });
    await expectInvalidClient(verifier.verify(inlineClient(), paramsFor(huge)), /longer than 16384/);
  });

  it('PKJ-10 refuses an RSA key under 2048 bits and a key with broken parameters', async () => {
    const { verifier } = setup();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const small = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid: 'small' };
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${encode({ alg: 'RS256', kid: 'small' })}.${encode(claimsAt(T0))}`;
    const signature = createSign('sha256').update(input).sign(privateKey).toString('base64url');
    const client = clientWith({ jwks: { keys: [small] } } as never);
    await expectInvalidClient(
      verifier.verify(client, paramsFor(`${input}.${signature}`)),
      /at least 2048 bits/,
    );
    const broken = { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', kid: 'broken' };
    const brokenClient = clientWith({ jwks: { keys: [broken] } } as never);
    const assertion = await sign(es, T0, { header: { kid: 'broken' } });
    await expectInvalidClient(verifier.verify(brokenClient, paramsFor(assertion)), /could not be used/);
  });

  it('PKJ-14 refuses an inline jwks carrying a private key, without echoing it', async () => {
    const { verifier } = setup();
    const client = clientWith({ jwks: { keys: [es.privateJwk] } } as never);
    const error = await expectInvalidClient(
      verifier.verify(client, paramsFor(await sign(es, T0))),
      /CIMD-KEY-03/,
    );
    expect(error.message).not.toContain(String(es.privateJwk.d));
  });

  it('PKJ-14 refuses a document with both jwks and jwks_uri, or with neither', async () => {
    const { verifier } = setup();
    const both = clientWith({ jwks: jwksOf(es), jwks_uri: 'https://app.example.com/jwks.json' } as never);
    await expectInvalidClient(verifier.verify(both, paramsFor(await sign(es, T0))), /both jwks and jwks_uri/);
    await expectInvalidClient(
      verifier.verify(clientWith({}), paramsFor(await sign(es, T0))),
      /publishes no keys/,
    );
  });
});

describe('PKJ-13 typ', () => {
  for (const typ of [
    undefined,
    'JWT',
    'client-authentication+jwt',
    'application/client-authentication+jwt',
  ]) {
    it(`accepts typ ${String(typ)}`, async () => {
      const { verifier } = setup();
      const assertion = await sign(es, T0, { header: { typ } });
      await expect(verifier.verify(inlineClient(), paramsFor(assertion))).resolves.toBeDefined();
    });
  }
  for (const typ of ['at+jwt', 'dpop+jwt']) {
    it(`refuses typ ${typ}`, async () => {
      const { verifier } = setup();
      const assertion = await sign(es, T0, { header: { typ } });
      await expectInvalidClient(verifier.verify(inlineClient(), paramsFor(assertion)), /"typ" header/);
    });
  }
});

describe('PKJ-03 PKJ-04 PKJ-05 issuer, subject, audience', () => {
  const refuse = async (claims: Record<string, unknown>, pattern: RegExp, options = {}) => {
    const { verifier } = setup(options);
    const assertion = await sign(es, T0, { claims });
    await expectInvalidClient(verifier.verify(inlineClient(), paramsFor(assertion)), pattern);
  };
  const accept = async (claims: Record<string, unknown>, options = {}) => {
    const { verifier } = setup(options);
    const assertion = await sign(es, T0, { claims });
    await expect(verifier.verify(inlineClient(), paramsFor(assertion))).resolves.toBeDefined();
  };

  it('PKJ-03 refuses a missing iss, or another iss', async () => {
    await refuse({ iss: undefined }, /no "iss" claim/);
    await refuse({ iss: 'https://b.example/c.json' }, /"iss" claim must be the client_id/);
  });
  it('PKJ-03 compares iss as a plain string (no URL normalisation)', async () => {
    await refuse({ iss: 'https://APP.example.com/oauth/client.json' }, /"iss" claim must be the client_id/);
  });
  it('PKJ-04 refuses a missing sub, or another sub', async () => {
    await refuse({ sub: undefined }, /no "sub" claim/);
    await refuse({ sub: 'user-1' }, /"sub" claim must be the client_id/);
  });
  it('PKJ-05 accepts the issuer, the token endpoint, or an array holding one', async () => {
    await accept({ aud: ISSUER });
    await accept({ aud: TOKEN_ENDPOINT });
    await accept({ aud: [ISSUER, 'https://x.example'] });
    await accept({ aud: ['https://x.example', TOKEN_ENDPOINT] });
  });
  it('PKJ-05 refuses a missing aud, another AS, or a non-string aud', async () => {
    await refuse({ aud: undefined }, /no "aud" claim/);
    await refuse({ aud: 'https://other-as.example.com' }, /does not name this server/);
    await refuse({ aud: ['https://other-as.example.com'] }, /does not name this server/);
    await refuse({ aud: [42] }, /must be a string/);
  });
  it('PKJ-05 issuer-only: the issuer as sole value, never the token endpoint or extras', async () => {
    const strict = { audience: 'issuer-only' as const };
    await accept({ aud: ISSUER }, strict);
    await accept({ aud: [ISSUER] }, strict);
    await refuse(
      { aud: TOKEN_ENDPOINT },
      /issuer identifier https:\/\/as.example.com as its only value/,
      strict,
    );
    await refuse({ aud: [ISSUER, 'https://x.example'] }, /as its only value/, strict);
  });
  it('PKJ-05 without a tokenEndpoint option only the issuer is accepted', async () => {
    const { verifier } = setup({ tokenEndpoint: undefined } as never);
    const assertion = await sign(es, T0, { claims: { aud: TOKEN_ENDPOINT } });
    await expectInvalidClient(
      verifier.verify(inlineClient(), paramsFor(assertion)),
      /does not name this server/,
    );
  });
});

describe('PKJ-06 PKJ-07 PKJ-08 times, with 30 s skew and a 300 s lifetime', () => {
  const s = Math.floor(T0 / 1000);
  const check = async (claims: Record<string, unknown>, pattern?: RegExp) => {
    const { verifier } = setup();
    const assertion = await sign(es, T0, { claims });
    const result = verifier.verify(inlineClient(), paramsFor(assertion));
    if (pattern === undefined) await expect(result).resolves.toBeDefined();
    else await expectInvalidClient(result, pattern);
  };

  it('PKJ-06 refuses a missing or non-numeric exp', async () => {
    await check({ exp: undefined }, /no "exp" claim/);
    await check({ exp: 'tomorrow' }, /"exp" claim must be a NumericDate/);
  });
  it('PKJ-06 refuses exp past beyond the skew, accepts it within the skew', async () => {
    await check({ iat: s - 90, exp: s - 31 }, /has expired/);
    await check({ iat: s - 90, exp: s - 20 });
  });
  it('PKJ-06 refuses exp too far in the future', async () => {
    await check({ iat: undefined, exp: s + 3600 }, /lives too long/);
    await check({ iat: s, exp: s + 331 }, /lives too long/);
    await check({ iat: s, exp: s + 300 });
  });
  it('PKJ-07 refuses nbf in the future beyond the skew, accepts it within', async () => {
    await check({ nbf: s + 300 }, /not valid yet/);
    await check({ nbf: s + 20 });
  });
  it('PKJ-08 refuses iat in the future beyond the skew, accepts it within', async () => {
    await check({ iat: s + 300, exp: s + 360 }, /issued in the future/);
    await check({ iat: s + 20, exp: s + 80 });
  });
  it('PKJ-08 refuses iat older than the lifetime plus skew', async () => {
    await check({ iat: s - 3600, exp: s + 60 }, /too old/);
    await check({ iat: s - 331, exp: s - 29 }, /too old/);
  });
  it('honours the maxLifetimeMs and clockSkewMs options', async () => {
    const { verifier } = setup({ maxLifetimeMs: 60_000, clockSkewMs: 0 });
    const assertion = await sign(es, T0, { claims: { iat: s, exp: s + 61 } });
    await expectInvalidClient(verifier.verify(inlineClient(), paramsFor(assertion)), /more than 60 s/);
  });
});

describe('PKJ-09 jti and replay', () => {
  it('refuses a missing or oversized jti', async () => {
    const { verifier } = setup();
    const missing = await sign(es, T0, { claims: { jti: undefined } });
    await expectInvalidClient(verifier.verify(inlineClient(), paramsFor(missing)), /no "jti" claim/);
    const long = await sign(es, T0, { claims: { jti: 'j'.repeat(257) } });
    await expectInvalidClient(
      verifier.verify(inlineClient(), paramsFor(long)),
      /"jti" claim must be a string/,
    );
  });

  it('refuses the same assertion twice, and records the jti until exp plus skew', async () => {
    const { verifier, store, clock } = setup();
    clock.advance(400);
    const assertion = await sign(es, T0);
    await verifier.verify(inlineClient(), paramsFor(assertion));
    await expectInvalidClient(verifier.verify(inlineClient(), paramsFor(assertion)), /already used/);
    expect(store.jtiTtls[0]).toBe(60_000 + 30_000 - 400);
  });

  it('lets exactly one of two concurrent uses through', async () => {
    const { verifier } = setup();
    const assertion = await sign(es, T0);
    const results = await Promise.allSettled([
      verifier.verify(inlineClient(), paramsFor(assertion)),
      verifier.verify(inlineClient(), paramsFor(assertion)),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  it('refuses a replay on a second verifier instance sharing the store', async () => {
    const first = setup();
    const second = createClientAssertionVerifier({
      issuer: ISSUER,
      store: first.store,
      fetcher,
      now: first.clock.now,
    });
    const assertion = await sign(es, T0);
    await first.verifier.verify(inlineClient(), paramsFor(assertion));
    await expectInvalidClient(second.verify(inlineClient(), paramsFor(assertion)), /already used/);
  });

  it('does not record the jti of an assertion that fails', async () => {
    const { verifier } = setup();
    const jti = 'shared-jti';
    const forged = await sign(other, T0, { claims: { jti } });
    await rejectionOf(verifier.verify(inlineClient(), paramsFor(forged)));
    const genuine = await sign(es, T0, { claims: { jti } });
    await expect(verifier.verify(inlineClient(), paramsFor(genuine))).resolves.toMatchObject({ jti });
  });
});

describe('PKJ-12 every failure is invalid_client with a JSON body', () => {
  it('serialises as the RFC 6749 §5.2 body', async () => {
    const { verifier } = setup();
    const error = await rejectionOf(verifier.verify(inlineClient(), paramsFor('abc.def')));
    expect(error).toBeInstanceOf(InvalidClientError);
    expect((error as InvalidClientError).toJSON()).toEqual({
      error: 'invalid_client',
      error_description: expect.stringContaining('client_assertion'),
    });
  });
});

describe('options', () => {
  it('are validated when the verifier is created', () => {
    const store = createTestStore(Date.now);
    const base = { issuer: ISSUER, store, fetcher };
    expect(() => createClientAssertionVerifier({ ...base, issuer: 'not a url' })).toThrow(InvalidOptionError);
    expect(() => createClientAssertionVerifier({ ...base, audience: 'any' as never })).toThrow(/audience/);
    expect(() => createClientAssertionVerifier({ ...base, maxLifetimeMs: 0 })).toThrow(/maxLifetimeMs/);
    expect(() => createClientAssertionVerifier({ ...base, clockSkewMs: -1 })).toThrow(/clockSkewMs/);
    expect(() => createClientAssertionVerifier({ ...base, store: {} as never })).toThrow(/recordJti/);
    expect(() => createClientAssertionVerifier({ ...base, fetcher: undefined as never })).toThrow(/fetcher/);
    expect(() =>
      createClientAssertionVerifier({ ...base, jwksCacheBounds: { minTtlMs: 10, maxTtlMs: 1 } }),
    ).toThrow(/maxTtlMs/);
    expect(() => createClientAssertionVerifier({ ...base, maxCachedKeySets: 0 })).toThrow(/maxCachedKeySets/);
    expect(() => createClientAssertionVerifier({ ...base, shareKeySets: 'yes' as never })).toThrow(
      /shareKeySets/,
    );
    expect(() => createClientAssertionVerifier({ ...base, kidRefetchCooldownMs: -5 })).toThrow(
      /kidRefetchCooldownMs/,
    );
  });
});
