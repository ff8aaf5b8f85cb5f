/**
 * DPoP proof verification, one rule at a time (RFC 9449 §4.3, named by its check numbers), and the
 * server nonces (§8, §9).
 */
import { base64url, generateSecret, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidDpopProofError, UseDpopNonceError } from '../../../src/server/dpop/errors.js';
import { createMemoryDpopReplayStore } from '../../../src/server/dpop/memory-replay.js';
import { createDpopNonceSource } from '../../../src/server/dpop/nonce.js';
import { createDpopProofVerifier, type DpopProofVerifierOptions } from '../../../src/server/dpop/proof.js';
import { createDpopKey, type DpopKey, makeProof } from './helpers.js';

const HTU = 'https://as.example.com/token';
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

let key: DpopKey;
let other: DpopKey;

beforeAll(async () => {
  key = await createDpopKey();
  other = await createDpopKey('EdDSA');
});

function verifier(options: Partial<DpopProofVerifierOptions> = {}) {
  return createDpopProofVerifier({ replayStore: createMemoryDpopReplayStore(), now: () => T0, ...options });
}

async function refusal(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(InvalidDpopProofError);
  expect((error as InvalidDpopProofError).error).toBe('invalid_dpop_proof');
  expect((error as Error).message).toMatch(pattern);
}

describe('DPoP proof verification (RFC 9449 §4.3)', () => {
  it('a valid proof gives the RFC 7638 thumbprint of its key', async () => {
    const proof = await makeProof(key, { htu: HTU, now: T0 });
    const result = await verifier().verify({ proof, method: 'POST', url: HTU });
    expect(result.jkt).toBe(key.jkt);
    expect(result.alg).toBe('ES256');
  });

  it('§4.3 (1): no DPoP header, or more than one, is refused', async () => {
    const proof = await makeProof(key, { htu: HTU, now: T0 });
    await refusal(verifier().verify({ proof: undefined, method: 'POST', url: HTU }), /no DPoP proof/);
    await refusal(verifier().verify({ proof: [proof, proof], method: 'POST', url: HTU }), /exactly one/);
  });

  it('§4.3 (2): something that is not a single compact JWT is refused', async () => {
    await refusal(verifier().verify({ proof: 'not-a-jwt', method: 'POST', url: HTU }), /compact JWT/);
  });

  it('§4.3 (3): each required claim (jti, htm, htu, iat) must be present', async () => {
    for (const claim of ['jti', 'htm', 'htu', 'iat']) {
      const proof = await makeProof(key, { htu: HTU, now: T0, claims: { [claim]: undefined } });
      await refusal(verifier().verify({ proof, method: 'POST', url: HTU }), new RegExp(`"${claim}"`));
    }
  });

  it('§4.3 (4): typ must be dpop+jwt', async () => {
    const proof = await makeProof(key, { htu: HTU, now: T0, header: { typ: 'JWT' } });
    await refusal(verifier().verify({ proof, method: 'POST', url: HTU }), /typ/);
  });

  it('§4.3 (5): alg must be an allowlisted asymmetric algorithm (never none or HS256)', async () => {
    const secret = await generateSecret('HS256');
    const hs = await new SignJWT({ jti: 'x', htm: 'POST', htu: HTU, iat: T0 / 1000 })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.publicJwk })
      .sign(secret);
    await refusal(verifier().verify({ proof: hs, method: 'POST', url: HTU }), /alg/);
    const ed = await makeProof(other, { htu: HTU, now: T0 });
    await refusal(verifier({ algorithms: ['ES256'] }).verify({ proof: ed, method: 'POST', url: HTU }), /alg/);
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk }))}.${base64url.encode(JSON.stringify({ jti: 'y', htm: 'POST', htu: HTU, iat: T0 / 1000 }))}.`;
    await refusal(verifier().verify({ proof: none, method: 'POST', url: HTU }), /compact JWT|alg/);
  });

  it('§4.3 (6): the signature must verify with the jwk header (a proof signed by another key is refused)', async () => {
    const proof = await makeProof(other, { htu: HTU, now: T0, header: { alg: 'EdDSA', jwk: key.publicJwk } });
    await refusal(verifier().verify({ proof, method: 'POST', url: HTU }), /signature|jwk/);
  });

  it('§4.3 (7): the jwk header must be a public key (private members refused) and must be present', async () => {
    const withPrivate = await makeProof(key, { htu: HTU, now: T0, header: { jwk: key.privateJwk } });
    await refusal(verifier().verify({ proof: withPrivate, method: 'POST', url: HTU }), /public key/);
    const without = await makeProof(key, { htu: HTU, now: T0, header: { jwk: undefined } });
    await refusal(verifier().verify({ proof: without, method: 'POST', url: HTU }), /jwk/);
  });

  it('§4.3 (8): htm must be the request method', async () => {
    const proof = await makeProof(key, { htu: HTU, now: T0, htm: 'GET' });
    await refusal(verifier().verify({ proof, method: 'POST', url: HTU }), /htm/);
  });

  it('§4.3 (9): htu must be the request URI, compared without query and fragment', async () => {
    const wrong = await makeProof(key, { htu: 'https://as.example.com/other', now: T0 });
    await refusal(verifier().verify({ proof: wrong, method: 'POST', url: HTU }), /htu/);
    const withQuery = await makeProof(key, { htu: `${HTU}?a=1#frag`, now: T0 });
    await expect(
      verifier().verify({ proof: withQuery, method: 'POST', url: `${HTU}?b=2` }),
    ).resolves.toBeDefined();
    const normalized = await makeProof(key, { htu: 'HTTPS://AS.example.com:443/token', now: T0 });
    await expect(verifier().verify({ proof: normalized, method: 'POST', url: HTU })).resolves.toBeDefined();
  });

  it('§4.3 (10), §8: with nonces on, a proof without the nonce gets use_dpop_nonce and the nonce; with it, passes', async () => {
    const nonces = createDpopNonceSource({ now: () => T0 });
    const check = verifier({ nonces });
    const first = await makeProof(key, { htu: HTU, now: T0 });
    const error = await check
      .verify({ proof: first, method: 'POST', url: HTU })
      .catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(UseDpopNonceError);
    const nonce = (error as UseDpopNonceError).nonce;
    expect(nonce).toBe(await nonces.current());
    const wrong = await makeProof(key, { htu: HTU, now: T0, nonce: 'made-up' });
    await expect(check.verify({ proof: wrong, method: 'POST', url: HTU })).rejects.toBeInstanceOf(
      UseDpopNonceError,
    );
    const retry = await makeProof(key, { htu: HTU, now: T0, nonce });
    await expect(check.verify({ proof: retry, method: 'POST', url: HTU })).resolves.toBeDefined();
  });

  it('§4.3 (11): iat must be within the window (default ±300 s; configurable)', async () => {
    const old = await makeProof(key, { htu: HTU, now: T0 - 301_000 });
    await refusal(verifier().verify({ proof: old, method: 'POST', url: HTU }), /iat/);
    const future = await makeProof(key, { htu: HTU, now: T0 + 301_000 });
    await refusal(verifier().verify({ proof: future, method: 'POST', url: HTU }), /iat/);
    const edge = await makeProof(key, { htu: HTU, now: T0 - 299_000 });
    await expect(verifier().verify({ proof: edge, method: 'POST', url: HTU })).resolves.toBeDefined();
    const narrow = await makeProof(key, { htu: HTU, now: T0 - 61_000 });
    await refusal(
      verifier({ iatWindowMs: 60_000 }).verify({ proof: narrow, method: 'POST', url: HTU }),
      /iat/,
    );
  });

  it('§4.3 (12): ath must be the hash of the access token presented', async () => {
    const proof = await makeProof(key, { htu: HTU, now: T0, htm: 'GET', accessToken: 'token-a' });
    await refusal(verifier().verify({ proof, method: 'GET', url: HTU, accessToken: 'token-b' }), /ath/);
    const missing = await makeProof(key, { htu: HTU, now: T0, htm: 'GET' });
    await refusal(
      verifier().verify({ proof: missing, method: 'GET', url: HTU, accessToken: 'token-a' }),
      /ath/,
    );
    const good = await makeProof(key, { htu: HTU, now: T0, htm: 'GET', accessToken: 'token-a' });
    await expect(
      verifier().verify({ proof: good, method: 'GET', url: HTU, accessToken: 'token-a' }),
    ).resolves.toBeDefined();
  });

  it('§11.1: a replayed proof (same jti) is refused; the record is the store’s atomic recordJti', async () => {
    const check = verifier();
    const proof = await makeProof(key, { htu: HTU, now: T0 });
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => check.verify({ proof, method: 'POST', url: HTU })),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    await refusal(check.verify({ proof, method: 'POST', url: HTU }), /already used/);
  });

  it('§4.2: the algorithm option refuses symmetric algorithms at creation', () => {
    expect(() => verifier({ algorithms: ['HS256'] })).toThrow(/asymmetric/);
  });
});

describe('DPoP nonces (RFC 9449 §8, §9)', () => {
  it('rotate every window and are accepted for the current and the previous window only', async () => {
    let now = T0;
    const nonces = createDpopNonceSource({ windowMs: 60_000, now: () => now });
    const first = await nonces.current();
    expect(await nonces.check(first)).toBe(true);
    now += 60_000;
    const second = await nonces.current();
    expect(second).not.toBe(first);
    expect(await nonces.check(first)).toBe(true);
    now += 60_000;
    expect(await nonces.check(first)).toBe(false);
    expect(await nonces.check(second)).toBe(true);
  });

  it('instances sharing a secret accept each other’s nonces; another secret’s are refused', async () => {
    const secret = 'a shared secret of at least thirty-two bytes!!';
    const a = createDpopNonceSource({ secret, now: () => T0 });
    const b = createDpopNonceSource({ secret, now: () => T0 });
    const c = createDpopNonceSource({ now: () => T0 });
    expect(await b.check(await a.current())).toBe(true);
    expect(await c.check(await a.current())).toBe(false);
    expect(() => createDpopNonceSource({ secret: 'short' })).toThrow(/32 bytes/);
  });
});
