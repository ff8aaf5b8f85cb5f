/**
 * Pieces of the key-rotation end-to-end tests on the shared world (test/helpers/mcp-e2e.ts): a
 * private_key_jwt agent document whose JWK Set can be republished from a key set, key sets with
 * short timings, the token requests of the world's log with their assertion's `kid`, the
 * authorization server's fetches of a JWK Set, and a client that calls `whoami` every 50 ms.
 */
import { decodeProtectedHeader } from 'jose';
import { expect } from 'vitest';
import { createClientMetadata } from '../../src/document/create.js';
import { createSafeFetcher, JWKS_MAX_BYTES, type SafeFetcher } from '../../src/fetch/index.js';
import { serveClientMetadata } from '../../src/host/index.js';
import { createKeySet, generateClientKey, type KeySet, publicJwks } from '../../src/keys/index.js';
import type { E2e } from './mcp-e2e.js';

/** How long the authorization server keeps a fetched JWK Set at most (and the host's max-age), ms. */
export const JWKS_CACHE_MAX_MS = 1000;

/** The user agent of the test's own fetches of a served JWK Set (not counted as the server's). */
export const TEST_USER_AGENT = 'mcp-cimd-e2e-test';

/** The authorization server options that make it refetch a JWK Set after at most {@link JWKS_CACHE_MAX_MS}. */
export const SHORT_JWKS_CACHE = {
  clientAssertions: { jwksCacheBounds: { minTtlMs: 0, maxTtlMs: JWKS_CACHE_MAX_MS } },
} as const;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 25 ms until it holds; fails with `what` after `timeoutMs`. */
export async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * A key set for a private_key_jwt client with short timings, so a rotation fits in a test:
 * assertions live 1 s and the server keeps a JWK Set at most 1 s, so a retired key's grace period
 * passes within the test, in real time.
 */
export async function newKeySet(jwksUri: string): Promise<KeySet> {
  return createKeySet(await generateClientKey('ES256'), {
    jwksUri,
    settings: { maxAssertionLifetimeMs: 1000, maxJwksCacheMs: JWKS_CACHE_MAX_MS },
  });
}

/** A private_key_jwt client whose JWK Set is served from the key set it is given. */
export interface Agent {
  clientId: string;
  jwksUri: string;
  /** The JWK Set's path on the document host. */
  jwksPath: string;
  /** Serves the public JWK Set of `keySet` at `jwksUri` from now on. */
  publish(keySet: KeySet): void;
}

/**
 * Serves a private_key_jwt agent document at `<documentOrigin><path>/client.json` and the public
 * JWK Set of `keySet` at `<path>/jwks.json` (max-age {@link JWKS_CACHE_MAX_MS}).
 */
export function serveAgent(
  e2e: E2e,
  path: string,
  keySet: KeySet,
  extra: { clientName: string; grantTypes?: string[]; scope?: string },
): Agent {
  const clientId = `${e2e.documentOrigin}${path}/client.json`;
  const jwksUri = `${e2e.documentOrigin}${path}/jwks.json`;
  const { document } = createClientMetadata({
    clientId,
    clientName: extra.clientName,
    redirectUris: ['http://127.0.0.1/callback'],
    applicationType: 'native',
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwksUri,
    signingAlg: 'ES256',
    ...(extra.grantTypes === undefined ? {} : { grantTypes: extra.grantTypes }),
    ...(extra.scope === undefined ? {} : { scope: extra.scope }),
    allowPrivateNetwork: true,
  });
  const publish = (set: KeySet) =>
    e2e.serveDocument(
      serveClientMetadata({
        document,
        jwks: publicJwks(set) as unknown as Record<string, unknown>,
        cacheControl: `public, max-age=${JWKS_CACHE_MAX_MS / 1000}`,
      }),
    );
  publish(keySet);
  return { clientId, jwksUri, jwksPath: `${path}/jwks.json`, publish };
}

/** A token request the authorization server answered. */
export interface TokenRequest {
  clientId: string | null;
  grant: string;
  /** The `kid` of the client assertion, for `private_key_jwt`. */
  kid: string | undefined;
  status: number;
  error: string | undefined;
  accessToken: string | undefined;
  at: number;
}

/** The world's token requests by `clientId`, in order. */
export function tokenRequestsOf(e2e: E2e, clientId: string): TokenRequest[] {
  return e2e.tokenExchanges
    .filter(({ form }) => form.get('client_id') === clientId)
    .map(({ form, status, body, at }) => {
      const assertion = form.get('client_assertion');
      return {
        clientId: form.get('client_id'),
        grant: form.get('grant_type') ?? '',
        kid: assertion === null ? undefined : decodeProtectedHeader(assertion).kid,
        status,
        error: body.error as string | undefined,
        accessToken: body.access_token as string | undefined,
        at,
      };
    });
}

/** When the authorization server fetched `jwksPath` after `at` (epoch ms); the test's own fetches do not count. */
export function jwksFetchesAfter(e2e: E2e, jwksPath: string, at: number): number[] {
  return e2e.documentRequests
    .filter(
      (request) => request.path === jwksPath && request.userAgent !== TEST_USER_AGENT && request.at > at,
    )
    .map((request) => request.at);
}

/** The test's own fetcher of served JWK Sets (trusts the world's CA, sends {@link TEST_USER_AGENT}). */
export function testFetcher(e2e: E2e): SafeFetcher {
  return createSafeFetcher({
    allowPrivateNetwork: true,
    ca: e2e.ca.caCert,
    maxBytes: JWKS_MAX_BYTES,
    userAgent: TEST_USER_AGENT,
  });
}

/** An SDK client, as far as these helpers call it. */
export interface ToolCaller {
  callTool(request: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
}

/** What a tool call answered, as far as these helpers read it. */
type ToolResult = { isError?: boolean; content?: { type: string; text: string }[] };

/** Calls `whoami`, expects it not to be a tool error, and returns the token's client and scopes. */
export async function checkedWhoami(client: ToolCaller): Promise<{ clientId: string; scopes: string[] }> {
  const result = (await client.callTool({ name: 'whoami', arguments: {} })) as ToolResult;
  expect(result.isError).toBeFalsy();
  const [first] = result.content ?? [];
  return JSON.parse(first?.text ?? '{}') as { clientId: string; scopes: string[] };
}

/** A loop calling `whoami` every 50 ms until `stop()`: how many calls worked and what failed. */
export interface CallingLoop {
  calls: number;
  failures: unknown[];
  stop(): Promise<void>;
}

export function keepCalling(client: ToolCaller): CallingLoop {
  let stopped = false;
  const loop: CallingLoop = {
    calls: 0,
    failures: [],
    stop: async () => {
      stopped = true;
      await calling;
    },
  };
  const calling = (async () => {
    while (!stopped) {
      try {
        const result = (await client.callTool({ name: 'whoami', arguments: {} })) as ToolResult;
        if (result.isError) loop.failures.push(result);
        else loop.calls += 1;
      } catch (error) {
        loop.failures.push(error);
      }
      await sleep(50);
    }
  })();
  return loop;
}
