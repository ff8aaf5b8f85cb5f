/**
 * DPoP at the protected resource (RFC 9449 §7, §9), through the Hono middleware in process and the
 * Express middleware on loopback: a bound token with a valid proof passes; the same token copied
 * and presented as Bearer, or without its proof, or with a proof by another key, is refused;
 * wrong ath/htm/htu and replays are refused; nonces are asked for with `use_dpop_nonce`.
 */
import { getRequestListener } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DpopResourceOptions } from '../../../src/server/dpop/resource.js';
import { requireBearer } from '../../../src/server/express.js';
import { type BearerAuthEnv, bearerAuth } from '../../../src/server/resource/hono.js';
import { createDpopKey, type DpopKey, makeProof } from '../dpop/helpers.js';
import {
  type AuthorizationServerFixture,
  authorizationServer,
  close,
  listen,
  RESOURCE,
  RESOURCE_METADATA_URL,
} from './helpers.js';

let as: AuthorizationServerFixture;
let key: DpopKey;
let otherKey: DpopKey;
let bound: string;
let unbound: string;

beforeAll(async () => {
  as = authorizationServer();
  key = await createDpopKey();
  otherKey = await createDpopKey();
  bound = await as.issue({ confirmation: { jkt: key.jkt } });
  unbound = await as.issue();
});

async function appWith(dpop?: DpopResourceOptions | false) {
  const app = new Hono<BearerAuthEnv>();
  app.use(
    '/mcp',
    bearerAuth({
      verifier: await as.verifier(),
      resourceMetadataUrl: RESOURCE_METADATA_URL,
      requiredScopes: ['mcp:tools'],
      ...(dpop === undefined ? {} : { dpop }),
    }),
  );
  app.post('/mcp', (c) => c.json({ clientId: c.get('auth').clientId }));
  return app;
}

const post = (app: Hono<BearerAuthEnv>, headers: Record<string, string>) =>
  app.request(RESOURCE, { method: 'POST', headers, body: '{}' });

async function dpopHeaders(
  token: string,
  signer = key,
  extra: Parameters<typeof makeProof>[1] | object = {},
) {
  return {
    Authorization: `DPoP ${token}`,
    DPoP: await makeProof(signer, { htu: RESOURCE, accessToken: token, ...extra }),
  };
}

function challenge(response: Response): string {
  return response.headers.get('www-authenticate') ?? '';
}

describe('DPoP at the resource (RFC 9449 §7)', () => {
  it('§7.1: a DPoP-bound token with a valid proof by its key passes', async () => {
    const response = await post(await appWith(), await dpopHeaders(bound));
    expect(response.status).toBe(200);
  });

  it('§7.1: the bound token copied and presented as Bearer is refused (401, DPoP challenge)', async () => {
    const response = await post(await appWith(), { Authorization: `Bearer ${bound}` });
    expect(response.status).toBe(401);
    expect(challenge(response)).toMatch(/^DPoP /);
    expect(challenge(response)).toMatch(/error="invalid_token"/);
    expect(challenge(response)).toMatch(/algs="ES256/);
    expect(challenge(response)).toContain(`resource_metadata="${RESOURCE_METADATA_URL}"`);
  });

  it('the bound token is refused as Bearer even with DPoP turned off', async () => {
    const response = await post(await appWith(false), { Authorization: `Bearer ${bound}` });
    expect(response.status).toBe(401);
    expect(challenge(response)).toMatch(/^Bearer .*error="invalid_token"/);
  });

  it('§7.1: the bound token with the DPoP scheme but no proof is refused', async () => {
    const response = await post(await appWith(), { Authorization: `DPoP ${bound}` });
    expect(response.status).toBe(401);
    expect(challenge(response)).toMatch(/^DPoP .*error="invalid_dpop_proof"/);
  });

  it('§7.1: a proof by another key than cnf.jkt is refused', async () => {
    const response = await post(await appWith(), await dpopHeaders(bound, otherKey));
    expect(response.status).toBe(401);
    expect(challenge(response)).toMatch(/error="invalid_token"/);
    expect(((await response.json()) as { error_description: string }).error_description).toMatch(
      /another key/,
    );
  });

  it('§4.3 (12): a proof whose ath is another token’s hash is refused', async () => {
    const response = await post(await appWith(), {
      Authorization: `DPoP ${bound}`,
      DPoP: await makeProof(key, { htu: RESOURCE, accessToken: unbound }),
    });
    expect(response.status).toBe(401);
    expect(challenge(response)).toMatch(/error="invalid_dpop_proof"/);
  });

  it('§4.3 (8), (9): a proof for another method or URI is refused', async () => {
    const app = await appWith();
    const wrongHtm = await post(app, await dpopHeaders(bound, key, { htm: 'GET' }));
    expect(wrongHtm.status).toBe(401);
    const wrongHtu = await post(app, await dpopHeaders(bound, key, { htu: 'https://mcp.example.com/other' }));
    expect(wrongHtu.status).toBe(401);
    expect(challenge(wrongHtu)).toMatch(/error="invalid_dpop_proof"/);
  });

  it('§11.1: a replayed proof is refused', async () => {
    const app = await appWith();
    const headers = await dpopHeaders(bound);
    expect((await post(app, headers)).status).toBe(200);
    const replay = await post(app, headers);
    expect(replay.status).toBe(401);
    expect(challenge(replay)).toMatch(/error="invalid_dpop_proof"/);
  });

  it('an unbound token presented with the DPoP scheme is refused; as Bearer it passes as before', async () => {
    const app = await appWith();
    expect((await post(app, await dpopHeaders(unbound))).status).toBe(401);
    expect((await post(app, { Authorization: `Bearer ${unbound}` })).status).toBe(200);
  });

  it('a missing scope with DPoP is 403 insufficient_scope with a DPoP challenge', async () => {
    const narrow = await as.issue({ confirmation: { jkt: key.jkt }, scope: 'other' });
    const response = await post(await appWith(), await dpopHeaders(narrow));
    expect(response.status).toBe(403);
    expect(challenge(response)).toMatch(/^DPoP .*error="insufficient_scope"/);
  });

  it('§9: nonce required: 401 use_dpop_nonce with DPoP-Nonce, then the retry with it passes and gets a nonce', async () => {
    const app = await appWith({ nonce: true });
    const first = await post(app, await dpopHeaders(bound));
    expect(first.status).toBe(401);
    expect(challenge(first)).toMatch(/^DPoP .*error="use_dpop_nonce"/);
    const nonce = first.headers.get('dpop-nonce') ?? '';
    expect(nonce).not.toBe('');
    const retry = await post(app, await dpopHeaders(bound, key, { nonce }));
    expect(retry.status).toBe(200);
    expect(retry.headers.get('dpop-nonce')).toBe(nonce);
  });
});

describe('DPoP with the Express middleware on loopback', () => {
  let origin: string;
  let server: Awaited<ReturnType<typeof listen>>['server'];

  beforeAll(async () => {
    const app = express();
    app.post(
      '/mcp',
      requireBearer({
        verifier: await as.verifier({ audience: ['https://mcp.example.com/mcp'] }),
        resourceMetadataUrl: RESOURCE_METADATA_URL,
        dpop: { nonce: true },
      }),
      (_req, res) => {
        res.json({ ok: true });
      },
    );
    ({ server, origin } = await listen(app));
  });
  afterAll(async () => {
    await close(server);
  });

  it('a bound token: as Bearer 401; with DPoP, the nonce round trip, then 200', async () => {
    const url = `${origin}/mcp`;
    const asBearer = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${bound}` } });
    expect(asBearer.status).toBe(401);
    const proof = () => makeProof(key, { htu: url, accessToken: bound, nonce });
    let nonce: string | undefined;
    const first = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `DPoP ${bound}`, DPoP: await proof() },
    });
    expect(first.status).toBe(401);
    expect(first.headers.get('www-authenticate')).toMatch(/use_dpop_nonce/);
    nonce = first.headers.get('dpop-nonce') ?? undefined;
    const second = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `DPoP ${bound}`, DPoP: await proof() },
    });
    expect(second.status).toBe(200);
    expect(second.headers.get('dpop-nonce')).toBe(nonce);
    const withoutKey = await fetch(url, {
      method: 'POST',
      headers: {
        Authorization: `DPoP ${bound}`,
        DPoP: await makeProof(otherKey, { htu: url, accessToken: bound, nonce }),
      },
    });
    expect(withoutKey.status).toBe(401);
  });
});

describe('DPoP with the Hono middleware served by @hono/node-server on loopback', () => {
  it("the DPoP-Nonce of a successful response reaches the client (the handler's Response is rebuilt, not mutated)", async () => {
    const app = new Hono<BearerAuthEnv>();
    app.use(
      '/mcp',
      bearerAuth({
        verifier: await as.verifier(),
        resourceMetadataUrl: RESOURCE_METADATA_URL,
        dpop: { nonce: true },
      }),
    );
    app.post('/mcp', () => new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } }));
    const { server, origin } = await listen(getRequestListener(app.fetch));
    try {
      const url = `${origin}/mcp`;
      const first = await fetch(url, {
        method: 'POST',
        headers: {
          Authorization: `DPoP ${bound}`,
          DPoP: await makeProof(key, { htu: url, accessToken: bound }),
        },
      });
      expect(first.status).toBe(401);
      const nonce = first.headers.get('dpop-nonce') ?? '';
      expect(nonce).not.toBe('');
      const second = await fetch(url, {
        method: 'POST',
        headers: {
          Authorization: `DPoP ${bound}`,
          DPoP: await makeProof(key, { htu: url, accessToken: bound, nonce }),
        },
      });
      expect(second.status).toBe(200);
      expect(second.headers.get('dpop-nonce')).toBe(nonce);
      expect(second.headers.get('content-type')).toMatch(/application\/json/);
    } finally {
      await close(server);
    }
  });
});
