/**
 * Fixtures for the resource-server tests: an authorization server's signing keys, tokens issued
 * with them (or hand-built to break one rule), a verifier over the published key set, and a
 * loopback listener helper.
 */
import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, type JWTHeaderParameters, type JWTPayload, SignJWT } from 'jose';
import {
  type AccessTokenVerifierOptions,
  createAccessTokenVerifier,
} from '../../../src/server/resource/bearer.js';
import { type IssueAccessTokenOptions, issueAccessToken } from '../../../src/server/tokens/access-token.js';
import { createSigningKeyManager, type SigningKeyManager } from '../../../src/server/tokens/signing-keys.js';

export const ISSUER = 'https://as.example.com';
export const RESOURCE = 'https://mcp.example.com/mcp';
export const OTHER_RESOURCE = 'https://other.example.com/mcp';
export const CLIENT_ID = 'https://app.example.com/oauth/client.json';
export const RESOURCE_METADATA_URL = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

/** The authorization server side: keys and a token factory. */
export interface AuthorizationServerFixture {
  keys: SigningKeyManager;
  /** Issues a valid token for RESOURCE with scope `mcp:tools`, with overrides. */
  issue(overrides?: Partial<IssueAccessTokenOptions>): Promise<string>;
  /** Signs `payload` with the current key and `header` (defaults: at+jwt, alg and kid of the key). */
  sign(payload: JWTPayload, header?: Partial<JWTHeaderParameters>): Promise<string>;
  /** The claims a valid token has at `now` (epoch ms). */
  claims(now?: number): JWTPayload;
  /** A verifier for RESOURCE over the published key set. */
  verifier(
    options?: Partial<AccessTokenVerifierOptions>,
  ): Promise<ReturnType<typeof createAccessTokenVerifier>>;
}

export function authorizationServer(): AuthorizationServerFixture {
  const keys = createSigningKeyManager();
  const claims = (now = Date.now()): JWTPayload => ({
    iss: ISSUER,
    sub: 'user-1',
    aud: RESOURCE,
    client_id: CLIENT_ID,
    scope: 'mcp:tools',
    iat: Math.floor(now / 1000),
    exp: Math.floor(now / 1000) + 600,
    jti: base64url.encode(crypto.getRandomValues(new Uint8Array(16))),
  });
  return {
    keys,
    async issue(overrides = {}) {
      const { token } = await issueAccessToken(keys, {
        issuer: ISSUER,
        subject: 'user-1',
        clientId: CLIENT_ID,
        audience: RESOURCE,
        scope: 'mcp:tools',
        ...overrides,
      });
      return token;
    },
    async sign(payload, header = {}) {
      const { kid, alg, key } = await keys.signingKey();
      return new SignJWT(payload).setProtectedHeader({ alg, kid, typ: 'at+jwt', ...header }).sign(key);
    },
    claims,
    async verifier(options = {}) {
      return createAccessTokenVerifier({
        issuer: ISSUER,
        audience: RESOURCE,
        jwks: await keys.publicJwks(),
        ...options,
      });
    },
  };
}

/** Listens on 127.0.0.1 on a free port; returns the server and its base URL (no trailing slash). */
export async function listen(listener?: RequestListener): Promise<{ server: Server; origin: string }> {
  const server = createServer(listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

/** Closes `server`, dropping idle keep-alive connections. */
export async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
