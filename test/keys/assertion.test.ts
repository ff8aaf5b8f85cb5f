import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { isCimdError } from '../../src/index.js';
import {
  CLIENT_KEY_ALGORITHMS,
  type ClientKey,
  createAssertionSigner,
  createKeySet,
  generateClientKey,
  type KeySet,
  publicJwks,
  signClientAssertion,
  stageKey,
} from '../../src/keys/index.js';
import { T0 } from './fixtures.js';

const CLIENT_ID = 'https://app.example.com/oauth/client.json';
const ISSUER = 'https://auth.example.com';

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));
}

describe('signClientAssertion', () => {
  let key: ClientKey;
  let set: KeySet;
  beforeAll(async () => {
    key = await generateClientKey('ES256');
    set = createKeySet(key);
  });

  it('PKJ-13 header { alg, kid, typ: client-authentication+jwt }', async () => {
    const jwt = await signClientAssertion({ keySet: set, clientId: CLIENT_ID, audience: ISSUER });
    expect(decodeProtectedHeader(jwt)).toEqual({
      alg: 'ES256',
      kid: key.kid,
      typ: 'client-authentication+jwt',
    });
  });

  it('PKJ-03/04/05/06 iss = sub = client_id, aud = the issuer as a string, exp = iat + 60 s', async () => {
    const now = T0 + 123_456;
    const claims = claimsOf(
      await signClientAssertion({ keySet: set, clientId: CLIENT_ID, audience: ISSUER, now }),
    );
    expect(claims).toEqual({
      iss: CLIENT_ID,
      sub: CLIENT_ID,
      aud: ISSUER,
      jti: expect.any(String),
      iat: Math.floor(now / 1000),
      exp: Math.floor(now / 1000) + 60,
    });
    expect(typeof claims.aud).toBe('string');
  });

  it('PKJ-09 jti is a fresh random UUID (CSPRNG) every time', async () => {
    const jtis = await Promise.all(
      Array.from(
        { length: 20 },
        async () => claimsOf(await signClientAssertion({ key, clientId: CLIENT_ID, audience: ISSUER })).jti,
      ),
    );
    expect(new Set(jtis).size).toBe(20);
    for (const jti of jtis)
      expect(jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  for (const alg of CLIENT_KEY_ALGORITHMS) {
    it(`PKJ-10 ${alg}: verifies with jose against the published JWKS, with every claim checked`, async () => {
      const signer = createKeySet(await generateClientKey(alg));
      const jwt = await signClientAssertion({ keySet: signer, clientId: CLIENT_ID, audience: ISSUER });
      const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(publicJwks(signer)), {
        issuer: CLIENT_ID,
        subject: CLIENT_ID,
        audience: ISSUER,
        algorithms: [alg],
        typ: 'client-authentication+jwt',
        requiredClaims: ['jti', 'exp', 'iat'],
        maxTokenAge: '60s',
      });
      expect(protectedHeader.alg).toBe(alg);
      expect(payload.exp! - payload.iat!).toBe(60);
    });
  }

  it('signs with the key set CURRENT key, never the next one', async () => {
    const staged = stageKey(set, await generateClientKey('ES256'));
    const jwt = await signClientAssertion({ keySet: staged, clientId: CLIENT_ID, audience: ISSUER });
    expect(decodeProtectedHeader(jwt).kid).toBe(key.kid);
  });

  it('takes a shorter lifetime; refuses one longer than the key set allows, not whole seconds, or above 5 min', async () => {
    const now = T0;
    const short = claimsOf(
      await signClientAssertion({
        keySet: set,
        clientId: CLIENT_ID,
        audience: ISSUER,
        lifetimeMs: 30_000,
        now,
      }),
    );
    expect((short.exp as number) - (short.iat as number)).toBe(30);
    const refused = (options: Parameters<typeof signClientAssertion>[0]) =>
      expect(signClientAssertion(options)).rejects.toSatisfy((error) =>
        isCimdError(error, 'ERR_INVALID_OPTION'),
      );
    await refused({ keySet: set, clientId: CLIENT_ID, audience: ISSUER, lifetimeMs: 120_000 });
    await refused({ key, clientId: CLIENT_ID, audience: ISSUER, lifetimeMs: 1500 });
    await refused({ key, clientId: CLIENT_ID, audience: ISSUER, lifetimeMs: 301_000 });
    await refused({ key, clientId: '', audience: ISSUER });
    await refused({ key, clientId: CLIENT_ID, audience: [ISSUER] as unknown as string });
    const oneKey = claimsOf(
      await signClientAssertion({ key, clientId: CLIENT_ID, audience: ISSUER, lifetimeMs: 300_000 }),
    );
    expect((oneKey.exp as number) - (oneKey.iat as number)).toBe(300);
  });
});

describe('createAssertionSigner', () => {
  it('is bound to the current key, signs with its clock, and a fresh jti each time', async () => {
    const key = await generateClientKey('EdDSA');
    let now = T0;
    const signer = await createAssertionSigner(createKeySet(key), { now: () => now });
    expect(signer).toMatchObject({ kid: key.kid, alg: 'EdDSA' });
    const first = await signer.sign({ clientId: CLIENT_ID, audience: ISSUER });
    now += 5000;
    const second = await signer.sign({ clientId: CLIENT_ID, audience: ISSUER });
    expect(claimsOf(first).iat).toBe(T0 / 1000);
    expect(claimsOf(second).iat).toBe(T0 / 1000 + 5);
    expect(claimsOf(first).jti).not.toBe(claimsOf(second).jti);
    expect(decodeProtectedHeader(second)).toEqual({
      alg: 'EdDSA',
      kid: key.kid,
      typ: 'client-authentication+jwt',
    });
  });

  it('refuses a lifetime above the key set setting at creation', async () => {
    const set = createKeySet(await generateClientKey(), { settings: { maxAssertionLifetimeMs: 30_000 } });
    await expect(createAssertionSigner(set, { lifetimeMs: 60_000 })).rejects.toThrow(
      /maxAssertionLifetimeMs 30000/,
    );
    const signer = await createAssertionSigner(set, { now: () => T0 });
    const claims = claimsOf(await signer.sign({ clientId: CLIENT_ID, audience: ISSUER }));
    expect((claims.exp as number) - (claims.iat as number)).toBe(30);
  });
});
