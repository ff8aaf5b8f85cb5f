/**
 * DPoP at /token (RFC 9449 §5, §8): a proof binds the access token (`cnf.jkt`, `token_type:
 * DPoP`), a public client's refresh tokens to the same key, nonces with `use_dpop_nonce`, replay,
 * the `required` option and the metadata.
 */
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDpopKey, type DpopKey, makeProof } from '../dpop/helpers.js';
import {
  type CimdHost,
  codeParams,
  createKey,
  createTestServer,
  expectOAuthError,
  ISSUER,
  keyClient,
  publicClient,
  startCimdHost,
  type TestKey,
  type TestServer,
  type TokenBody,
} from './harness.js';

const TOKEN_URL = `${ISSUER}/token`;

let host: CimdHost;
let dpopKey: DpopKey;
let otherKey: DpopKey;
let clientKey: TestKey;
let t: TestServer;

beforeAll(async () => {
  host = await startCimdHost();
  dpopKey = await createDpopKey();
  otherKey = await createDpopKey();
  clientKey = await createKey('k1');
});
afterAll(async () => {
  await host.close();
});
afterEach(async () => {
  await t?.close();
});

async function proof(key: DpopKey, extra: { nonce?: string; claims?: Record<string, unknown> } = {}) {
  return makeProof(key, { htu: TOKEN_URL, now: t.clock.now(), ...extra });
}

async function dpopTokens(response: Response): Promise<TokenBody> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status: 200 });
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = JSON.parse(text) as TokenBody;
  expect(body.token_type).toBe('DPoP');
  return body;
}

describe('DPoP at the token endpoint (RFC 9449 §5)', () => {
  it('§5: a public client with a proof gets token_type DPoP and an access token bound by cnf.jkt', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    const body = await dpopTokens(
      await t.token(codeParams(client.clientId, issued), { DPoP: await proof(dpopKey) }),
    );
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: dpopKey.jkt });
    expect(body.refresh_token).toBeDefined();
  });

  it('without a proof nothing changes: token_type Bearer and no cnf', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const response = await t.token(codeParams(client.clientId, await t.issueCode(client.clientId)));
    const body = (await response.json()) as TokenBody;
    expect(body.token_type).toBe('Bearer');
    expect(decodeJwt(body.access_token).cnf).toBeUndefined();
  });

  it("§5: a public client's refresh token is bound to the key: refresh needs a proof by the same key", async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const first = await dpopTokens(
      await t.token(codeParams(client.clientId, await t.issueCode(client.clientId)), {
        DPoP: await proof(dpopKey),
      }),
    );
    const refresh = (token: string) => ({
      grant_type: 'refresh_token',
      client_id: client.clientId,
      refresh_token: token,
    });
    const none = await expectOAuthError(await t.token(refresh(first.refresh_token ?? '')), 'invalid_grant');
    expect(none.error_description).toMatch(/bound to a DPoP key/);
    const other = await expectOAuthError(
      await t.token(refresh(first.refresh_token ?? ''), { DPoP: await proof(otherKey) }),
      'invalid_grant',
    );
    expect(other.error_description).toMatch(/another key/);
    const next = await dpopTokens(
      await t.token(refresh(first.refresh_token ?? ''), { DPoP: await proof(dpopKey) }),
    );
    expect(decodeJwt(next.access_token).cnf).toEqual({ jkt: dpopKey.jkt });
    // The rotated token stays bound.
    await expectOAuthError(await t.token(refresh(next.refresh_token ?? '')), 'invalid_grant');
  });

  it("§5: a confidential client's refresh token is bound to its authentication, not the DPoP key", async () => {
    t = await createTestServer(host);
    const client = keyClient(host, [clientKey]);
    const { client_id: _id, ...params } = codeParams(client.clientId, await t.issueCode(client.clientId));
    const first = await dpopTokens(
      await t.token(
        { ...params, ...(await t.auth(client.clientId, clientKey)) },
        { DPoP: await proof(dpopKey) },
      ),
    );
    const refreshed = await t.token(
      {
        grant_type: 'refresh_token',
        refresh_token: first.refresh_token ?? '',
        ...(await t.auth(client.clientId, clientKey)),
      },
      { DPoP: await proof(otherKey) },
    );
    const body = await dpopTokens(refreshed);
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: otherKey.jkt });
  });

  it('§8: with nonces on, a request without the nonce gets 400 use_dpop_nonce and DPoP-Nonce; the retry with it succeeds', async () => {
    t = await createTestServer(host, { dpop: { nonce: true } });
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    const refused = await t.token(codeParams(client.clientId, issued), { DPoP: await proof(dpopKey) });
    const nonce = refused.headers.get('dpop-nonce');
    await expectOAuthError(refused, 'use_dpop_nonce');
    expect(nonce).toMatch(/\S+/);
    const ok = await t.token(codeParams(client.clientId, issued), {
      DPoP: await proof(dpopKey, { nonce: nonce ?? '' }),
    });
    expect(ok.headers.get('dpop-nonce')).toBe(nonce);
    expect(decodeJwt((await dpopTokens(ok)).access_token).cnf).toEqual({ jkt: dpopKey.jkt });
  });

  it('§8: the nonce rotates: an old one is refused once two windows have passed, with the new one in DPoP-Nonce', async () => {
    t = await createTestServer(host, { dpop: { nonce: { windowMs: 60_000 } } });
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    const first = await t.token(codeParams(client.clientId, issued), { DPoP: await proof(dpopKey) });
    const old = first.headers.get('dpop-nonce') ?? '';
    t.clock.advance(120_000);
    const stale = await t.token(codeParams(client.clientId, await t.issueCode(client.clientId)), {
      DPoP: await proof(dpopKey, { nonce: old }),
    });
    const fresh = stale.headers.get('dpop-nonce') ?? '';
    await expectOAuthError(stale, 'use_dpop_nonce');
    expect(fresh).not.toBe(old);
    await dpopTokens(
      await t.token(codeParams(client.clientId, await t.issueCode(client.clientId)), {
        DPoP: await proof(dpopKey, { nonce: fresh }),
      }),
    );
  });

  it('§11.1: a replayed proof (the same jti) is refused with invalid_dpop_proof', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const once = await proof(dpopKey);
    await dpopTokens(
      await t.token(codeParams(client.clientId, await t.issueCode(client.clientId)), { DPoP: once }),
    );
    const replay = await t.token(codeParams(client.clientId, await t.issueCode(client.clientId)), {
      DPoP: once,
    });
    expect((await expectOAuthError(replay, 'invalid_dpop_proof')).error_description).toMatch(/already used/);
  });

  it('§4.3: a proof for another URI or method, or an invalid one, is refused with invalid_dpop_proof', async () => {
    t = await createTestServer(host);
    const client = publicClient(host);
    const wrongHtu = await makeProof(dpopKey, { htu: `${ISSUER}/other`, now: t.clock.now() });
    await expectOAuthError(
      await t.token(codeParams(client.clientId, await t.issueCode(client.clientId)), { DPoP: wrongHtu }),
      'invalid_dpop_proof',
    );
    const wrongHtm = await makeProof(dpopKey, { htu: TOKEN_URL, htm: 'GET', now: t.clock.now() });
    await expectOAuthError(
      await t.token(codeParams(client.clientId, await t.issueCode(client.clientId)), { DPoP: wrongHtm }),
      'invalid_dpop_proof',
    );
    await expectOAuthError(
      await t.token(codeParams(client.clientId, await t.issueCode(client.clientId)), { DPoP: 'garbage' }),
      'invalid_dpop_proof',
    );
  });

  it('dpop.required: a token request without a proof is refused with invalid_dpop_proof', async () => {
    t = await createTestServer(host, { dpop: { required: true } });
    const client = publicClient(host);
    await expectOAuthError(
      await t.token(codeParams(client.clientId, await t.issueCode(client.clientId))),
      'invalid_dpop_proof',
    );
  });

  it('§5.2: a client whose metadata has dpop_bound_access_tokens: true must send a proof', async () => {
    t = await createTestServer(host);
    const client = publicClient(host, { dpop_bound_access_tokens: true });
    const body = await expectOAuthError(
      await t.token(codeParams(client.clientId, await t.issueCode(client.clientId))),
      'invalid_dpop_proof',
    );
    expect(body.error_description).toMatch(/dpop_bound_access_tokens/);
    await dpopTokens(
      await t.token(codeParams(client.clientId, await t.issueCode(client.clientId)), {
        DPoP: await proof(dpopKey),
      }),
    );
  });

  it('the metadata advertises dpop_signing_alg_values_supported (asymmetric only)', async () => {
    t = await createTestServer(host, { dpop: { algorithms: ['ES256', 'EdDSA'] } });
    const response = await t.server.fetch(new Request(`${ISSUER}/.well-known/oauth-authorization-server`));
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata.dpop_signing_alg_values_supported).toEqual(['ES256', 'EdDSA']);
  });
});
