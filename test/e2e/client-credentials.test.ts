/**
 * Agents end to end on loopback: a CIMD agent document (grant_types client_credentials,
 * private_key_jwt, jwks_uri) and its JWK Set served over HTTPS with the test CA, keys from a
 * `cimd keys` key set (mcp-cimd/keys), our authorization server allowing the agent's host, and a
 * real SDK MCP server behind `requireBearer`. `connect({ grant: 'client_credentials' })` gets a
 * token with no user and no browser, and calls a tool; access tokens live 2 s, so new tokens are
 * requested all along, including across a full key rotation (stage, publish, promote, retire)
 * while the agent keeps calling a tool: no call fails.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/connect.js';
import type { SafeFetcher } from '../../src/fetch/index.js';
import {
  fetchPublishedJwks,
  generateClientKey,
  type KeySet,
  previousKeys,
  promoteNextKey,
  retireAfter,
  retirePreviousKeys,
  signClientAssertion,
  stageKey,
} from '../../src/keys/index.js';
import {
  type Agent,
  jwksFetchesAfter,
  keepCalling,
  newKeySet,
  SHORT_JWKS_CACHE,
  serveAgent,
  testFetcher,
  tokenRequestsOf,
  until as untilWithin,
  checkedWhoami as whoami,
} from '../helpers/key-rotation.js';
import { type E2e, E2E_SCOPE as SCOPE, startE2e } from '../helpers/mcp-e2e.js';

const ACCESS_TOKEN_LIFETIME_MS = 2000;
const UNTIL_TIMEOUT_MS = 8000;

let env: E2e;
let fetcher: SafeFetcher;

beforeAll(async () => {
  env = await startE2e({
    mcpSdk: 1,
    clockSkewMs: 0,
    authorizationServer: {
      accessTokenLifetimeMs: ACCESS_TOKEN_LIFETIME_MS,
      ...SHORT_JWKS_CACHE,
      // The agents of the document host (a host pattern), and nobody else.
      clientCredentials: { allow: ['localhost'] },
    },
  });
  fetcher = testFetcher(env);
});

afterAll(async () => {
  await fetcher?.close();
  await env?.close();
});

/** Serves an agent document (client_credentials, private_key_jwt, jwks_uri) and its JWK Set. */
function serveAgentAt(path: string, keySet: KeySet, extra: { grantTypes?: string[] } = {}): Agent {
  return serveAgent(env, path, keySet, {
    clientName: 'E2E agent',
    grantTypes: extra.grantTypes ?? ['client_credentials'],
    scope: SCOPE,
  });
}

const requestsOf = (clientId: string) => tokenRequestsOf(env, clientId);
const until = (what: string, condition: () => boolean) => untilWithin(what, condition, UNTIL_TIMEOUT_MS);

describe("connect({ grant: 'client_credentials' }): an agent with no user", () => {
  it('gets a token with a private_key_jwt assertion (no browser) and calls a tool; sub = client_id', async () => {
    const keySet = await newKeySet(`${env.documentOrigin}/agent-a/jwks.json`);
    const agent = serveAgentAt('/agent-a', keySet);
    const client = await connect(env.resource, {
      grant: 'client_credentials',
      clientMetadataUrl: agent.clientId,
      signer: (claims) => signClientAssertion({ keySet, ...claims }),
      onAuthorizationUrl: () => {
        throw new Error('no browser for an agent');
      },
    });
    try {
      expect(await whoami(client)).toEqual({ clientId: agent.clientId, scopes: [SCOPE] });
      // The extension is declared in the client capabilities (MCP 2026-07-28).
      expect(env.mcpInitializeCapabilities.at(-1)).toMatchObject({
        extensions: { 'io.modelcontextprotocol/oauth-client-credentials': {} },
      });
      const [first] = requestsOf(agent.clientId);
      expect(first).toMatchObject({ grant: 'client_credentials', kid: keySet.keys[0]?.kid, status: 200 });
      const claims = decodeJwt(first?.accessToken ?? '');
      expect(claims.sub).toBe(agent.clientId);
      expect(claims.aud).toBe(env.resource);
    } finally {
      await client.close();
    }
  });

  it('a document without client_credentials in grant_types is refused (unauthorized_client), and connect says so', async () => {
    const keySet = await newKeySet(`${env.documentOrigin}/agent-b/jwks.json`);
    const agent = serveAgentAt('/agent-b', keySet, { grantTypes: ['authorization_code', 'refresh_token'] });
    const error = await connect(env.resource, {
      grant: 'client_credentials',
      clientMetadataUrl: agent.clientId,
      signer: (claims) => signClientAssertion({ keySet, ...claims }),
    }).then(
      async (client) => {
        await client.close();
        return undefined;
      },
      (caught: unknown) => caught as Error,
    );
    expect(error?.message).toMatch(/unauthorized_client/);
  });

  it('a full key rotation (stage, publish, promote, retire) while the agent keeps calling a tool: no call fails', async () => {
    let keySet = await newKeySet(`${env.documentOrigin}/agent-r/jwks.json`);
    const agent = serveAgentAt('/agent-r', keySet);
    const oldKey = keySet.keys[0]!;
    const oldKid = oldKey.kid;
    // The agent signs with the key set's current key at each token request (as `cimd connect
    // --key` rereads its key set file).
    const client = await connect(env.resource, {
      grant: 'client_credentials',
      clientMetadataUrl: agent.clientId,
      signer: (claims) => signClientAssertion({ keySet, ...claims }),
    });
    const granted = (kid: string, after = 0) =>
      requestsOf(agent.clientId).filter((r) => r.kid === kid && r.status === 200 && r.at > after);
    const jwksFetchesSince = (at: number) => jwksFetchesAfter(env, agent.jwksPath, at);
    const published = () => fetchPublishedJwks(keySet, { fetcher });

    const loop = keepCalling(client);

    let newKid = '';
    try {
      await until('a second token with the first key', () => granted(oldKid).length >= 2);
      keySet = stageKey(keySet, await generateClientKey('ES256'));
      newKid = keySet.keys.find((key) => key.state === 'next')?.kid ?? '';
      agent.publish(keySet);
      const publishedAt = Date.now();
      await until('the server to fetch the published set', () => jwksFetchesSince(publishedAt).length >= 1);

      keySet = promoteNextKey(keySet, { published: await published() });
      const promotedAt = Date.now();
      const [previous] = previousKeys(keySet);
      expect(previous?.kid).toBe(oldKid);
      await until('a token signed with the new key', () => granted(newKid, promotedAt).length >= 1);
      const retireAt = retireAfter(keySet, previous!).getTime();
      await until('the grace period to pass', () => Date.now() >= retireAt);

      const retirement = retirePreviousKeys(keySet);
      expect(retirement.retired).toEqual([oldKid]);
      keySet = retirement.keySet;
      agent.publish(keySet);
      const retiredAt = Date.now();
      await until('the server to fetch the retired set', () => jwksFetchesSince(retiredAt).length >= 1);
      const refetchedAt = jwksFetchesSince(retiredAt)[0] ?? retiredAt;
      await until(
        'a token after the server saw the retired set',
        () => granted(newKid, refetchedAt).length >= 1,
      );
    } finally {
      await loop.stop();
      await client.close();
    }
    expect(loop.failures).toEqual([]);
    expect(loop.calls).toBeGreaterThanOrEqual(40);
    expect(requestsOf(agent.clientId).filter((r) => r.status !== 200)).toEqual([]);
    expect(requestsOf(agent.clientId).every((r) => r.grant === 'client_credentials')).toBe(true);

    // The retired key no longer gets a token.
    const oldAssertion = await signClientAssertion({
      key: oldKey,
      clientId: agent.clientId,
      audience: env.issuer,
    });
    const response = await fetch(`${env.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: oldAssertion,
      }),
    });
    expect(response.status).toBe(401);
  }, 40_000);
});
