/**
 * The client side of DPoP (RFC 9449): proofs the server-side verifier accepts, per-origin nonces,
 * and `dpopFetch`'s single retry on `use_dpop_nonce`.
 */
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  createDpopClientFetch,
  createDpopProver,
  dpopFetch,
  generateDpopKeyPair,
  loadDpopKeyPair,
} from '../../src/client/dpop.js';
import { MemoryTokenStore } from '../../src/client/token-store.js';
import { createMemoryDpopReplayStore } from '../../src/server/dpop/memory-replay.js';
import { createDpopNonceSource } from '../../src/server/dpop/nonce.js';
import { createDpopProofVerifier } from '../../src/server/dpop/proof.js';

describe('client DPoP proofs', () => {
  it('RFC 9449 §4.2: a fresh proof per request that our verifier accepts (typ, public jwk, htu without query, ath)', async () => {
    const keyPair = await generateDpopKeyPair();
    const prover = createDpopProver(keyPair);
    const proof = await prover.proof('post', 'https://mcp.example.com/mcp?x=1#y', { accessToken: 'tok' });
    const header = decodeProtectedHeader(proof);
    expect(header.typ).toBe('dpop+jwt');
    expect(header.jwk).not.toHaveProperty('d');
    expect(decodeJwt(proof)).toMatchObject({ htm: 'POST', htu: 'https://mcp.example.com/mcp' });
    const verifier = createDpopProofVerifier({ replayStore: createMemoryDpopReplayStore() });
    const verified = await verifier.verify({
      proof,
      method: 'POST',
      url: 'https://mcp.example.com/mcp',
      accessToken: 'tok',
    });
    expect(verified.jkt).toBe(await prover.thumbprint());
    expect(verified.jkt).toBe(await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256'));
    const again = await prover.proof('POST', 'https://mcp.example.com/mcp');
    expect(decodeJwt(again).jti).not.toBe(decodeJwt(proof).jti);
  });

  it('dpopFetch sends Authorization: DPoP, remembers the DPoP-Nonce of the origin and retries once on use_dpop_nonce', async () => {
    const nonces = createDpopNonceSource();
    const nonce = await nonces.current();
    const seen: { authorization: string | null; nonce: unknown }[] = [];
    const server = async (_input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const headers = new Headers(init?.headers);
      const claims = decodeJwt(headers.get('dpop') ?? '');
      seen.push({ authorization: headers.get('authorization'), nonce: claims.nonce });
      if (claims.nonce !== nonce) {
        return new Response('{"error":"use_dpop_nonce"}', {
          status: 401,
          headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': nonce },
        });
      }
      return new Response('ok', { headers: { 'dpop-nonce': nonce } });
    };
    const prover = createDpopProver(await generateDpopKeyPair());
    const authed = dpopFetch(prover, () => 'the-token', server);
    const response = await authed('https://mcp.example.com/mcp', { method: 'POST', body: '{}' });
    expect(response.status).toBe(200);
    expect(seen).toEqual([
      { authorization: 'DPoP the-token', nonce: undefined },
      { authorization: 'DPoP the-token', nonce },
    ]);
    expect(prover.nonceFor('https://mcp.example.com/other')).toBe(nonce);
    await authed('https://mcp.example.com/mcp', { method: 'POST', body: '{}' });
    expect(seen).toHaveLength(3);
  });

  it('loadDpopKeyPair: one key per token store, generated once and kept in it', async () => {
    const store = new MemoryTokenStore();
    const first = createDpopProver(await loadDpopKeyPair(store));
    const second = createDpopProver(await loadDpopKeyPair(store));
    expect(await second.thumbprint()).toBe(await first.thumbprint());
    const other = createDpopProver(await loadDpopKeyPair(new MemoryTokenStore()));
    expect(await other.thumbprint()).not.toBe(await first.thumbprint());
  });

  it('the provider fetch: proofs on token requests, DPoP only for bound tokens, everything else untouched', async () => {
    const seen: Headers[] = [];
    const base = async (_input: string | URL, init?: RequestInit): Promise<Response> => {
      seen.push(new Headers(init?.headers));
      return new Response('ok');
    };
    const wrapped = createDpopClientFetch({
      keyPair: generateDpopKeyPair(),
      isBound: (token) => token === 'bound',
      fetch: base,
    });
    await wrapped('https://as.example.com/token', {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token' }),
    });
    await wrapped('https://mcp.example.com/mcp', {
      method: 'POST',
      headers: { authorization: 'Bearer bound' },
    });
    await wrapped('https://mcp.example.com/mcp', {
      method: 'POST',
      headers: { authorization: 'Bearer plain' },
    });
    await wrapped('https://as.example.com/.well-known/oauth-authorization-server');
    expect(seen.map((headers) => [headers.has('dpop'), headers.get('authorization')])).toEqual([
      [true, null],
      [true, 'DPoP bound'],
      [false, 'Bearer plain'],
      [false, null],
    ]);
  });
});
