/**
 * Our client against our server, end to end on loopback: `connect()` (the CIMD client provider)
 * signs in to a real SDK MCP server (McpServer + StreamableHTTPServerTransport on Express, behind
 * our `requireBearer` and publishing protected-resource metadata) through our authorization
 * server (`createAuthorizationServer`, memory store, development login, served by
 * @hono/node-server on 127.0.0.1). The client documents and the agent's JWK Set are served by
 * `serveClientMetadata` on an HTTPS loopback host with a test CA; the served JWK Set can be
 * swapped while the test runs.
 *
 * The "browser" is a function given as `onAuthorizationUrl`: it GETs the authorization URL,
 * approves on the consent page (its hidden fields and the CSRF cookie) and follows the 303 to the
 * provider's loopback callback. It counts sign-ins: the SDK silently falls back to a new sign-in
 * when a refresh fails, so "no new sign-in" is how a test knows every refresh worked.
 *
 * Access tokens live 2 s (and the MCP server allows no clock skew), so refreshes really happen.
 * The full rotation (stage, publish, promote, retire) runs while a client calls a tool every
 * 50 ms; not one call may fail and no new sign-in may be needed (PKJ-17, CIMD-AS-20: the refresh
 * family re-binds to the new key before the old one leaves the JWK Set).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConnectOptions, connect } from '../../src/client/connect.js';
import { CimdOAuthClientProvider } from '../../src/client/provider.js';
import type { SafeFetcher } from '../../src/fetch/index.js';
import { isKeySetError } from '../../src/keys/errors.js';
import {
  createAssertionSigner,
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
import { refreshTokenKey } from '../../src/server/grants/issue-tokens.js';
import { approveAuthorization } from '../helpers/approve.js';
import {
  type Agent,
  jwksFetchesAfter,
  keepCalling,
  newKeySet,
  SHORT_JWKS_CACHE,
  serveAgent as serveAgentOn,
  sleep,
  type TokenRequest,
  testFetcher,
  tokenRequestsOf as tokenRequestsIn,
  until as untilWithin,
  checkedWhoami as whoami,
} from '../helpers/key-rotation.js';
import { type E2e, E2E_SCOPE as SCOPE, servePublicClient, startE2e } from '../helpers/mcp-e2e.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Access tokens live 2 s: whole seconds, so a fresh token is good for 1 to 2 s. */
const ACCESS_TOKEN_LIFETIME_MS = 2000;
const UNTIL_TIMEOUT_MS = 6000;

/** The `code` of the KeySetError `action` throws (or `undefined` when it does not throw one). */
function keySetErrorCode(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isKeySetError(error) ? error.code : `not a KeySetError: ${String(error)}`;
  }
  return undefined;
}

/** The `kid`s of a served JWK Set. */
function kidsOf(jwks: unknown): string[] {
  return ((jwks as { keys: { kid: string }[] }).keys ?? []).map((key) => key.kid);
}

const until = (what: string, condition: () => boolean) => untilWithin(what, condition, UNTIL_TIMEOUT_MS);

let env: E2e;
let fetcher: SafeFetcher;

beforeAll(async () => {
  // The MCP server has `echo` next to `whoami` and allows no clock skew, so tokens expire on time.
  // The authorization server refetches a client's JWK Set after at most a second, so the test sees
  // it notice a published and a retired key; the unknown-kid refetch keeps its 30 s cooldown.
  env = await startE2e({
    mcpSdk: 1,
    clockSkewMs: 0,
    extraTools: (server) => {
      server.registerTool('echo', { description: 'Echoes its input' }, () => ({
        content: [{ type: 'text', text: 'echo' }],
      }));
    },
    authorizationServer: { accessTokenLifetimeMs: ACCESS_TOKEN_LIFETIME_MS, ...SHORT_JWKS_CACHE },
  });
  fetcher = testFetcher(env);
});

afterAll(async () => {
  await fetcher?.close();
  await env?.close();
});

/** The user, in a browser: approves every authorization request it is handed, and counts them. */
class User {
  signIns = 0;

  readonly approve = async (authorizationUrl: URL): Promise<void> => {
    this.signIns += 1;
    const { callback, status } = await approveAuthorization(authorizationUrl);
    expect(callback.hostname).toBe('127.0.0.1');
    expect(callback.searchParams.get('iss')).toBe(env.issuer);
    expect(status, 'the provider accepted the callback').toBe(200);
  };
}

/** Serves a public document at `/<name>/client.json`; returns its URL (the client_id). */
function servePublicDocument(name: string): string {
  return servePublicClient(env, name, {
    clientName: 'E2E public client',
    redirectUris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
  });
}

function serveAgent(path: string, keySet: KeySet): Agent {
  return serveAgentOn(env, path, keySet, { clientName: 'E2E agent (private_key_jwt)' });
}

async function signedIn(
  clientId: string,
  user: User,
  options: Partial<ConnectOptions> = {},
): Promise<Client> {
  return connect(env.resource, {
    clientMetadataUrl: clientId,
    onAuthorizationUrl: user.approve,
    allowPrivateNetwork: true,
    fetchOptions: { ca: env.ca.caCert },
    callbackTimeoutMs: 10_000,
    ...options,
  });
}

function tokenRequestsOf(clientId: string): TokenRequest[] {
  return tokenRequestsIn(env, clientId);
}

describe('connect() against our authorization server and a real MCP server', () => {
  it('a public CIMD document: signs in once, lists the tools and calls one', async () => {
    const clientId = servePublicDocument('public-a');
    const user = new User();
    const client = await signedIn(clientId, user);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['echo', 'whoami']);
      expect(await whoami(client)).toEqual({ clientId, scopes: [SCOPE] });
      expect(user.signIns).toBe(1);
      expect(tokenRequestsOf(clientId)[0]).toMatchObject({
        grant: 'authorization_code',
        kid: undefined,
        status: 200,
      });
    } finally {
      await client.close();
    }
  });

  it('a private_key_jwt document with a key set from mcp-cimd/keys: signs in with an assertion and calls a tool', async () => {
    const keySet = await newKeySet(`${env.documentOrigin}/agent-b/jwks.json`);
    const agent = serveAgent('/agent-b', keySet);
    const user = new User();
    const client = await signedIn(agent.clientId, user, { signer: await createAssertionSigner(keySet) });
    try {
      expect(await whoami(client)).toEqual({ clientId: agent.clientId, scopes: [SCOPE] });
      expect(user.signIns).toBe(1);
      expect(tokenRequestsOf(agent.clientId)[0]).toMatchObject({
        grant: 'authorization_code',
        kid: keySet.keys[0]?.kid,
        status: 200,
      });
    } finally {
      await client.close();
    }
  });

  it("a code exchange refused with invalid_client fails with the server's reason (not a lost PKCE verifier)", async () => {
    const published = await newKeySet(`${env.documentOrigin}/agent-e/jwks.json`);
    const agent = serveAgent('/agent-e', published);
    const unpublished = await newKeySet(`${env.documentOrigin}/agent-e/jwks.json`);
    const user = new User();
    const failure = await signedIn(agent.clientId, user, {
      signer: await createAssertionSigner(unpublished),
    }).then(
      async (client) => {
        await client.close();
        return undefined;
      },
      (error: unknown) => error as Error,
    );
    expect(user.signIns).toBe(1);
    expect(tokenRequestsOf(agent.clientId).map((request) => request.error)).toContain('invalid_client');
    expect(failure?.message).toBe(
      "the client_assertion's kid is not in the client's key set; publish the key before signing with it",
    );
  });

  it('refresh: once the access token expires, the next call refreshes (no new sign-in) and succeeds', async () => {
    const clientId = servePublicDocument('public-c');
    const keySet = await newKeySet(`${env.documentOrigin}/agent-c/jwks.json`);
    const kid = keySet.keys[0]?.kid;
    const agent = serveAgent('/agent-c', keySet);
    const user = new User();
    const publicClient = await signedIn(clientId, user);
    try {
      await whoami(publicClient);
      const agentClient = await signedIn(agent.clientId, user, {
        signer: await createAssertionSigner(keySet),
      });
      try {
        await whoami(agentClient);
        const expiredAfter = Date.now();
        await sleep(ACCESS_TOKEN_LIFETIME_MS + 50); // both access tokens have expired now
        expect(await whoami(publicClient)).toEqual({ clientId, scopes: [SCOPE] });
        expect(await whoami(agentClient)).toEqual({ clientId: agent.clientId, scopes: [SCOPE] });
        expect(user.signIns).toBe(2); // one each, never again
        for (const [id, expectedKid] of [
          [clientId, undefined],
          [agent.clientId, kid],
        ] as const) {
          const requests = tokenRequestsOf(id);
          expect(requests[0]).toMatchObject({ grant: 'authorization_code', kid: expectedKid, status: 200 });
          expect(requests.filter((r) => r.grant === 'refresh_token' && r.at > expiredAfter)).toMatchObject([
            { kid: expectedKid, status: 200 },
          ]);
          expect(requests.every((r) => r.status === 200)).toBe(true);
        }
      } finally {
        await agentClient.close();
      }
    } finally {
      await publicClient.close();
    }
  });

  it('a full key rotation (stage, publish, promote, retire) while the client keeps calling a tool: no call fails', async () => {
    let keySet = await newKeySet(`${env.documentOrigin}/agent-d/jwks.json`);
    const agent = serveAgent('/agent-d', keySet);
    const oldKey = keySet.keys[0]!;
    // The client signs with whatever key is current: the signer is swapped after the promotion.
    let signer = await createAssertionSigner(keySet);
    const user = new User();
    const provider = new CimdOAuthClientProvider({
      serverUrl: env.resource,
      clientMetadataUrl: agent.clientId,
      signer: { alg: 'ES256', sign: (claims) => signer.sign(claims) },
      onAuthorizationUrl: user.approve,
      allowPrivateNetwork: true,
      fetchOptions: { ca: env.ca.caCert },
    });
    const client = await connect(env.resource, { provider });
    const requests = () => tokenRequestsOf(agent.clientId);
    const refreshes = (kid: string, after = 0) =>
      requests().filter(
        (r) => r.grant === 'refresh_token' && r.kid === kid && r.status === 200 && r.at > after,
      );
    const jwksFetchesSince = (at: number) => jwksFetchesAfter(env, '/agent-d/jwks.json', at);
    const published = () => fetchPublishedJwks(keySet, { fetcher });

    const loop = keepCalling(client);

    let newKid = '';
    try {
      await until('a refresh with the first key', () => refreshes(oldKey.kid).length >= 1);

      // 1. Stage: a next key joins the key set. It is not served yet, so promote refuses it.
      keySet = stageKey(keySet, await generateClientKey('ES256'));
      newKid = keySet.keys.find((key) => key.state === 'next')?.kid ?? '';
      expect(keySetErrorCode(() => promoteNextKey(keySet, { published: undefined }))).toBe(
        'ERR_KEYS_NOT_PUBLISHED',
      );
      const servedBefore = await published();
      expect(keySetErrorCode(() => promoteNextKey(keySet, { published: servedBefore }))).toBe(
        'ERR_KEYS_NOT_PUBLISHED',
      );

      // 2. Publish: the host serves current + next. Wait until the authorization server has
      // fetched the new set (it keeps one at most a second), so it knows the next key before
      // the key signs anything.
      agent.publish(keySet);
      const publishedAt = Date.now();
      expect(kidsOf(await published())).toEqual([oldKey.kid, newKid]);
      await until(
        'the authorization server to fetch the published set',
        () => jwksFetchesSince(publishedAt).length >= 1,
      );

      // 3. Promote: allowed now that the next key is served; the client signs with it from now on.
      keySet = promoteNextKey(keySet, { published: await published() });
      signer = await createAssertionSigner(keySet);
      expect(signer.kid).toBe(newKid);
      const promotedAt = Date.now();
      const [previous] = previousKeys(keySet);
      expect(previous?.kid).toBe(oldKey.kid);
      expect(keySetErrorCode(() => retirePreviousKeys(keySet))).toBe('ERR_KEYS_GRACE_PERIOD');

      // 4. Wait: refreshes signed with the new key re-bind the refresh family to it, and the
      // previous key's grace period (assertion lifetime + JWK Set cache time) passes.
      await until('a refresh signed with the new key', () => refreshes(newKid, promotedAt).length >= 1);
      const retireAt = retireAfter(keySet, previous!).getTime();
      await until('the grace period to pass', () => Date.now() >= retireAt);

      // 5. Retire: the previous key leaves the key set and the served JWK Set; the authorization
      // server notices within its cache time, and refreshes go on (the family is on the new key).
      const retirement = retirePreviousKeys(keySet);
      expect(retirement.retired).toEqual([oldKey.kid]);
      keySet = retirement.keySet;
      agent.publish(keySet);
      const retiredAt = Date.now();
      expect(kidsOf(await published())).toEqual([newKid]);
      await until(
        'the authorization server to fetch the set without the retired key',
        () => jwksFetchesSince(retiredAt).length >= 1,
      );
      const refetchedAt = jwksFetchesSince(retiredAt)[0] ?? retiredAt;
      await until(
        'a refresh after the server saw the retired set',
        () => refreshes(newKid, refetchedAt).length >= 1,
      );
    } finally {
      await loop.stop();
      await client.close();
    }

    expect(loop.failures).toEqual([]);
    expect(loop.calls).toBeGreaterThanOrEqual(40);
    expect(user.signIns, 'every refresh worked: the client never had to sign in again').toBe(1);
    expect(requests().filter((request) => request.status !== 200)).toEqual([]);
    expect(refreshes(oldKey.kid).length).toBeGreaterThanOrEqual(1);
    expect(refreshes(newKid).length).toBeGreaterThanOrEqual(2);

    // The refresh family is bound to the new key now (PKJ-17).
    const refreshToken = (await provider.tokens())?.refresh_token ?? '';
    const family = await env.store.findRefreshFamily(await refreshTokenKey(refreshToken));
    expect(family?.keyThumbprint).toBe(newKid);

    // The retired key no longer authenticates the client.
    const response = await fetch(`${env.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: agent.clientId,
        client_assertion_type: JWT_BEARER,
        client_assertion: await signClientAssertion({
          key: oldKey,
          clientId: agent.clientId,
          audience: env.issuer,
        }),
      }),
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_client');
  }, 30_000);
});
