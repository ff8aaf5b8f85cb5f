/**
 * `cimd serve --dpop-required` and `--dpop-nonce` (the built bin; RFC 9449): with DPoP required,
 * a token request without a proof is refused (`invalid_dpop_proof`) and one with a proof gets a
 * DPoP-bound token; with nonces on, a proof without the server's nonce gets `use_dpop_nonce` and
 * a `DPoP-Nonce`, and the retry with it succeeds; two instances given one nonce secret accept
 * each other's nonces. The token requests are an agent's
 * client-credentials requests (registered at /register, allowed by the operator).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltBin } from '../helpers/run-cli.js';
import {
  type Agent,
  askClientCredentials,
  databaseArgs,
  registerAgentIn,
  tokenBody,
  tokenEndpoint,
} from '../serve/agent-client.js';
import { freePort, killAll, type Served, serve } from '../serve/served.js';
import { createDpopKey, type DpopKey, makeProof } from '../server/dpop/helpers.js';

const RESOURCE = 'http://127.0.0.1:4001/mcp';
const dir = mkdtempSync(join(tmpdir(), 'cimd-serve-dpop-'));

let agent: Agent;
let key: DpopKey;
let served: Served | undefined;

beforeAll(async () => {
  requireBuiltBin();
  agent = await registerAgentIn(dir, RESOURCE);
  key = await createDpopKey();
}, 60_000);
afterEach(async () => {
  await served?.stop().catch(() => {});
  served = undefined;
  killAll();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(args: string[], env: Record<string, string> = {}): Promise<Served> {
  served = await instance(args, env);
  return served;
}

/** One `cimd serve` on the shared database, allowing the agent (the caller stops it). */
async function instance(args: string[], env: Record<string, string> = {}): Promise<Served> {
  return serve(
    [
      '--port',
      String(await freePort()),
      ...databaseArgs(dir),
      '--resource',
      RESOURCE,
      '--allow-client-credentials',
      agent.clientId,
      ...args,
    ],
    { cwd: dir, env },
  );
}

const proofFor = (s: Served, nonce?: string) => makeProof(key, { htu: tokenEndpoint(s), nonce });

async function expectBound(response: Response): Promise<void> {
  const body = await tokenBody(response, 200);
  expect(body.token_type).toBe('DPoP');
  expect(decodeJwt(String(body.access_token)).cnf).toEqual({ jkt: key.jkt });
}

describe('cimd serve --dpop-required', () => {
  it('a token request without a DPoP proof is refused (400 invalid_dpop_proof); with one, the token is DPoP-bound', async () => {
    const s = await start(['--dpop-required']);
    expect(s.listening.dpop).toEqual({ required: true, nonce: false });
    const refused = await tokenBody(await askClientCredentials(s, agent), 400);
    expect(refused.error).toBe('invalid_dpop_proof');
    expect(refused.error_description).toMatch(/DPoP proof/);
    await expectBound(await askClientCredentials(s, agent, { dpop: await proofFor(s) }));
  });

  it('without it (the default), a request without a proof gets a Bearer token; one with a proof a bound one', async () => {
    const s = await start([]);
    expect(s.listening.dpop).toEqual({ required: false, nonce: false });
    expect((await tokenBody(await askClientCredentials(s, agent), 200)).token_type).toBe('Bearer');
    await expectBound(await askClientCredentials(s, agent, { dpop: await proofFor(s) }));
  });
});

describe('cimd serve --dpop-nonce', () => {
  it('a proof without the nonce gets 400 use_dpop_nonce with DPoP-Nonce; the retry with it gets a bound token and the nonce again', async () => {
    const s = await start(['--dpop-nonce', '--dpop-nonce-window', '60']);
    const first = await askClientCredentials(s, agent, { dpop: await proofFor(s) });
    const nonce = first.headers.get('dpop-nonce') ?? '';
    expect((await tokenBody(first, 400)).error).toBe('use_dpop_nonce');
    expect(nonce).not.toBe('');
    const retry = await askClientCredentials(s, agent, { dpop: await proofFor(s, nonce) });
    expect(retry.headers.get('dpop-nonce')).toBe(nonce);
    await expectBound(retry);
    const wrong = await askClientCredentials(s, agent, { dpop: await proofFor(s, `${nonce}x`) });
    expect((await tokenBody(wrong, 400)).error).toBe('use_dpop_nonce');
  });

  it('CIMD_DPOP_NONCE and CIMD_DPOP_REQUIRED turn both on from the environment', async () => {
    const s = await start([], { CIMD_DPOP_NONCE: 'true', CIMD_DPOP_REQUIRED: 'true' });
    expect(s.listening.dpop).toEqual({ required: true, nonce: true, nonceSecret: 'random per start' });
    expect((await tokenBody(await askClientCredentials(s, agent), 400)).error).toBe('invalid_dpop_proof');
    const first = await askClientCredentials(s, agent, { dpop: await proofFor(s) });
    expect((await tokenBody(first, 400)).error).toBe('use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce') ?? '';
    await expectBound(await askClientCredentials(s, agent, { dpop: await proofFor(s, nonce) }));
  });

  it('two instances given one CIMD_DPOP_NONCE_SECRET accept the nonces of each other; with a random secret each, they do not', async () => {
    const env = { CIMD_DPOP_NONCE_SECRET: 'a-shared-secret-of-more-than-32-bytes-0123456789' };
    const nonceOf = async (s: Served) =>
      (await askClientCredentials(s, agent, { dpop: await proofFor(s) })).headers.get('dpop-nonce') ?? '';
    const [a, b] = [await instance(['--dpop-nonce'], env), await instance(['--dpop-nonce'], env)];
    try {
      expect(a.listening.dpop).toMatchObject({ nonceSecret: 'given' });
      await expectBound(await askClientCredentials(b, agent, { dpop: await proofFor(b, await nonceOf(a)) }));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    const [c, d] = [await instance(['--dpop-nonce']), await instance(['--dpop-nonce'])];
    try {
      const refused = await askClientCredentials(d, agent, { dpop: await proofFor(d, await nonceOf(c)) });
      expect((await tokenBody(refused, 400)).error).toBe('use_dpop_nonce');
    } finally {
      await Promise.all([c.stop(), d.stop()]);
    }
  }, 60_000);
});
