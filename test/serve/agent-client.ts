/**
 * An agent (a client with no user) of a running `cimd serve`: registered at /register with
 * `client_credentials`, `private_key_jwt` and its public key inline, then asking /token for
 * tokens with client credentials, signing each client assertion, optionally with a DPoP proof.
 * The operator allows a registered `client_id` only once it exists, so {@link registerAgentIn}
 * registers it in a SQLite database that later `cimd serve` runs (with the policy) open.
 */
import { join } from 'node:path';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { expect } from 'vitest';
import { freePort, type Served, serve } from './served.js';

/** The client-assertion type of `private_key_jwt` (RFC 7523). */
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** A registered agent: its `client_id` and signing key. */
export interface Agent {
  clientId: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** The agent's registration request (MCP requires redirect URIs and a name even of agents). */
function registration(publicJwk: JWK, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    client_name: 'Test agent',
    application_type: 'web',
    redirect_uris: ['https://agent.example.com/callback'],
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [publicJwk] },
    scope: 'mcp:tools',
    ...extra,
  };
}

/** POSTs a registration to `served`'s /register. */
export function register(served: Served, body: unknown): Promise<Response> {
  return fetch(`${served.listening.url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Registers a new agent (a fresh ES256 key) at `served`. */
export async function registerAgent(served: Served, extra: Record<string, unknown> = {}): Promise<Agent> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'agent-1', alg: 'ES256', use: 'sig' };
  const response = await register(served, registration(publicJwk, extra));
  const body = (await response.json()) as { client_id: string; grant_types: string[] };
  expect(response.status, JSON.stringify(body)).toBe(201);
  expect(body.grant_types).toContain('client_credentials');
  return { clientId: body.client_id, privateKey, publicJwk };
}

/** The `cimd serve` arguments of the SQLite database in `dir` (where agents are registered). */
export function databaseArgs(dir: string): string[] {
  return ['--store', 'sqlite', '--database', join(dir, 'cimd.sqlite')];
}

/**
 * Starts `cimd serve` on the database in `dir`, registers an agent, and stops: the operator
 * then allows its `client_id` (`--allow-client-credentials`) in later runs.
 */
export async function registerAgentIn(dir: string, resource: string): Promise<Agent> {
  const served = await serve(
    ['--port', String(await freePort()), '--resource', resource, ...databaseArgs(dir)],
    { cwd: dir },
  );
  try {
    return await registerAgent(served);
  } finally {
    await served.stop();
  }
}

/** A client assertion of `agent` for `served`'s issuer, valid for a minute. */
export function clientAssertion(agent: Agent, served: Served): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: 'agent-1', typ: 'client-authentication+jwt' })
    .setIssuer(agent.clientId)
    .setSubject(agent.clientId)
    .setAudience(served.listening.issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(agent.privateKey);
}

/** The token endpoint URL (the issuer's, which DPoP proofs name as `htu`). */
export function tokenEndpoint(served: Served): string {
  return String(served.listening.endpoints.token_endpoint);
}

/** Asks `served` for a token with client credentials; `dpop` is a proof header, when any. */
export async function askClientCredentials(
  served: Served,
  agent: Agent,
  options: { resource?: string; dpop?: string } = {},
): Promise<Response> {
  return fetch(tokenEndpoint(served), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(options.dpop === undefined ? {} : { DPoP: options.dpop }),
    },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: JWT_BEARER,
      client_assertion: await clientAssertion(agent, served),
      ...(options.resource === undefined ? {} : { resource: options.resource }),
    }),
  });
}

/** The JSON body of a token response, with its status checked. */
export async function tokenBody(response: Response, status: number): Promise<Record<string, unknown>> {
  const body = (await response.json()) as Record<string, unknown>;
  expect(response.status, JSON.stringify(body)).toBe(status);
  return body;
}
