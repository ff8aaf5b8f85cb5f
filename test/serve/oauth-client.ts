/**
 * An MCP client of a running `cimd serve`, over plain HTTP: registered through /register (public,
 * a loopback redirect URI), an authorization URL with PKCE S256, and the code redeemed at /token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { expect } from 'vitest';

/** A registered client and the server it is registered at. */
export interface RegisteredClient {
  issuer: string;
  clientId: string;
  redirectUri: string;
  resource: string;
}

/** Registers a public client at `issuer` (a redirect URI that is never listened on). */
export async function registerClient(
  issuer: string,
  resource: string,
  redirectUri = 'http://127.0.0.1:9/callback',
): Promise<RegisteredClient> {
  const response = await fetch(`${issuer}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      redirect_uris: [redirectUri],
      client_name: 'Test MCP client',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  const body = (await response.json()) as { client_id: string };
  return { issuer, clientId: body.client_id, redirectUri, resource };
}

/** A fresh authorization request of `client`: its URL, PKCE verifier and state. */
export function authorizationRequest(client: RegisteredClient): {
  url: string;
  verifier: string;
  state: string;
} {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(12).toString('base64url');
  const url = new URL(`${client.issuer}/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state,
    resource: client.resource,
  }).toString();
  return { url: url.href, verifier, state };
}

/** The code of the final redirect to the client (checks `state` and `iss`). */
export function codeOf(response: Response, client: RegisteredClient, state: string): string {
  expect(response.status).toBe(303);
  const location = new URL(response.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe(client.redirectUri);
  expect(location.searchParams.get('error'), location.href).toBeNull();
  expect(location.searchParams.get('state')).toBe(state);
  expect(location.searchParams.get('iss')).toBe(client.issuer);
  return location.searchParams.get('code') ?? '';
}

/** Redeems `code` at /token; returns the access token's claims and the token response. */
export async function redeem(
  client: RegisteredClient,
  code: string,
  verifier: string,
): Promise<{ claims: Record<string, unknown>; body: Record<string, unknown> }> {
  const response = await fetch(`${client.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: client.redirectUri,
      code_verifier: verifier,
      client_id: client.clientId,
      resource: client.resource,
    }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  expect(response.status, JSON.stringify(body)).toBe(200);
  return { claims: decodeJwt(String(body.access_token)), body };
}
