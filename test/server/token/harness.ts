/**
 * Shared setup of the token, revocation and registration tests: a real HTTPS CIMD host on
 * loopback (test CA), CIMD clients served from it (public, and private_key_jwt with inline
 * `jwks` or a `jwks_uri`), the real authorization server on the memory store with an injected
 * clock, codes made exactly as the authorization endpoint makes them, and signed assertions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { expect } from 'vitest';
import { sha256Base64url } from '../../../src/server/crypto.js';
import {
  type AuthorizationServer,
  type AuthorizationServerOptions,
  createAuthorizationServer,
  devLogin,
} from '../../../src/server/index.js';
import type { Logger } from '../../../src/server/logger.js';
import { randomToken } from '../../../src/server/random-token.js';
import { createMemoryStore } from '../../../src/store/index.js';
import type { AuthorizationCodeRecord, Store } from '../../../src/store/store.js';
import { type HttpsHost, startHttpsHost } from '../../helpers/https-host.js';
import { createTestCa, type TestCa } from '../../helpers/test-ca.js';

export const ISSUER = 'http://127.0.0.1:4000';
export const RESOURCE = 'http://127.0.0.1:4001/mcp';
export const OTHER_RESOURCE = 'http://127.0.0.1:4002/mcp';
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** The redirect URI codes are issued for (the loopback callback with its runtime port). */
export const REDIRECT_URI = 'http://127.0.0.1:53123/callback';
/** 2026-11-22T12:00:00Z: the injected clock starts here. */
export const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

/** A clock the tests move by hand. */
export interface Clock {
  now: () => number;
  advance(ms: number): void;
}

export function createClock(start = T0): Clock {
  let current = start;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
  };
}

/** A signing key pair with its public JWK (`kid`, `use: sig`). */
export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function createKey(kid: string, alg = 'ES256'): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, use: 'sig', alg } };
}

/** The HTTPS host that serves the CIMD documents and key sets, with its CA. */
export interface CimdHost {
  ca: TestCa;
  host: HttpsHost;
  /** A fresh unique path, e.g. `/c3/client.json`. */
  path(name?: string): string;
  url(path: string): string;
  /** Serves `body` as JSON at `path` (replacing what was there), not cacheable. */
  serve(path: string, body: unknown): void;
  close(): Promise<void>;
}

let counter = 0;

export async function startCimdHost(): Promise<CimdHost> {
  const ca = createTestCa();
  const host = await startHttpsHost(ca);
  return {
    ca,
    host,
    path: (name = 'client.json') => {
      counter += 1;
      return `/c${counter}/${name}`;
    },
    url: (path) => `${host.origin}${path}`,
    serve: (path, body) => {
      host.route(path, (_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      });
    },
    close: async () => {
      await host.close();
      ca.dispose();
    },
  };
}

/** A CIMD client served from the host. */
export interface TestClient {
  clientId: string;
  /** The document as served now. */
  document: Record<string, unknown>;
  /** Serves a new version of the document (members merged on top of the current one; `undefined` removes). */
  update(changes: Record<string, unknown>): void;
}

/** A valid public-client document. */
export function publicDocument(
  clientId: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    client_id: clientId,
    client_name: 'Public test client',
    redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...extra,
  };
}

function serveClient(host: CimdHost, path: string, document: Record<string, unknown>): TestClient {
  const client: TestClient = {
    clientId: host.url(path),
    document,
    update(changes) {
      const next = { ...client.document, ...changes };
      for (const [name, value] of Object.entries(changes)) if (value === undefined) delete next[name];
      client.document = next;
      host.serve(path, next);
    },
  };
  host.serve(path, document);
  return client;
}

/** Serves a public (`none`) client; `extra` members go on top of the default document. */
export function publicClient(host: CimdHost, extra: Record<string, unknown> = {}): TestClient {
  const path = host.path();
  return serveClient(host, path, publicDocument(host.url(path), extra));
}

/** A private_key_jwt client whose keys can change. */
export interface KeyClient extends TestClient {
  /** Publishes exactly these keys (in `jwks_uri`, or inline in the document). */
  publish(...keys: TestKey[]): void;
}

/** Serves a `private_key_jwt` client publishing `keys` inline (`jwks`) or at a `jwks_uri`. */
export function keyClient(
  host: CimdHost,
  keys: TestKey[],
  via: 'jwks' | 'jwks_uri' = 'jwks_uri',
  extra: Record<string, unknown> = {},
): KeyClient {
  const path = host.path();
  const jwksPath = `${path}.jwks`;
  const jwksOf = (list: TestKey[]) => ({ keys: list.map((key) => key.publicJwk) });
  const document = publicDocument(host.url(path), {
    client_name: 'Confidential test client',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    ...(via === 'jwks' ? { jwks: jwksOf(keys) } : { jwks_uri: host.url(jwksPath) }),
    ...extra,
  });
  if (via === 'jwks_uri') host.serve(jwksPath, jwksOf(keys));
  const client = serveClient(host, path, document) as KeyClient;
  client.publish = (...next) => {
    if (via === 'jwks_uri') host.serve(jwksPath, jwksOf(next));
    else client.update({ jwks: jwksOf(next) });
  };
  return client;
}

/** Signs a client assertion for `clientId` with `key` at `now`; `claims`/`header` override (undefined removes). */
export async function signAssertion(
  clientId: string,
  key: TestKey,
  now: number,
  overrides: { claims?: Record<string, unknown>; header?: Record<string, unknown> } = {},
): Promise<string> {
  const seconds = Math.floor(now / 1000);
  const claims: Record<string, unknown> = {
    iss: clientId,
    sub: clientId,
    aud: ISSUER,
    iat: seconds,
    exp: seconds + 60,
    jti: randomToken(16),
    ...overrides.claims,
  };
  const header: Record<string, unknown> = {
    alg: 'ES256',
    typ: 'client-authentication+jwt',
    kid: key.kid,
    ...overrides.header,
  };
  for (const record of [claims, header])
    for (const [name, value] of Object.entries(record)) if (value === undefined) delete record[name];
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}

/** One logged line. */
export interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  message: string | undefined;
}

/** A code made as the authorization endpoint makes it. */
export interface IssuedCode {
  code: string;
  verifier: string;
  record: AuthorizationCodeRecord;
}

/** The authorization server under test, with its store, clock and captured logs. */
export interface TestServer {
  server: AuthorizationServer;
  store: Store;
  clock: Clock;
  logs: LogLine[];
  /** POSTs a form (`params` as given; repeated names allowed as pairs) to `path`. */
  post(
    path: string,
    params: Record<string, string> | [string, string][] | string,
    headers?: Record<string, string>,
  ): Promise<Response>;
  /** POSTs to /token. */
  token(
    params: Record<string, string> | [string, string][],
    headers?: Record<string, string>,
  ): Promise<Response>;
  /**
   * Approves: saves a code for `clientId` (with the client's current fingerprint unless given)
   * as the authorization endpoint does, and returns it with its verifier.
   */
  issueCode(clientId: string, overrides?: Partial<AuthorizationCodeRecord>): Promise<IssuedCode>;
  /** The form parameters of a private_key_jwt client authenticating with `key` now. */
  auth(
    clientId: string,
    key: TestKey,
    overrides?: Parameters<typeof signAssertion>[3],
  ): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export async function createTestServer(
  host: CimdHost,
  options: Partial<AuthorizationServerOptions> = {},
): Promise<TestServer> {
  const clock = createClock();
  const store = options.store ?? createMemoryStore({ now: clock.now });
  const logs: LogLine[] = [];
  const log =
    (level: string) =>
    (fields: Record<string, unknown>, message?: string): void => {
      logs.push({ level, fields, message });
    };
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const server = createAuthorizationServer({
    issuer: ISSUER,
    resources: [RESOURCE, OTHER_RESOURCE],
    store,
    authenticator: devLogin({ now: clock.now }),
    logger,
    now: clock.now,
    clients: {
      allowPrivateNetwork: true,
      fetchOptions: { ca: host.ca.caCert },
      fetchBudget: { requestsPerMinute: 100_000, maxConcurrent: 16 },
    },
    ...options,
  });
  const post: TestServer['post'] = (path, params, headers = {}) =>
    server.fetch(
      new Request(`${ISSUER}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: typeof params === 'string' ? params : new URLSearchParams(params).toString(),
      }),
    );
  return {
    server,
    store,
    clock,
    logs,
    post,
    token: (params, headers) => post('/token', params, headers),
    async issueCode(clientId, overrides = {}) {
      const code = randomToken(32);
      const verifier = randomToken(32);
      const fingerprint = (await server.context.registry.resolveClient(clientId)).fingerprint;
      const record: AuthorizationCodeRecord = {
        grantId: randomToken(16),
        clientId,
        userId: 'user-1',
        redirectUri: REDIRECT_URI,
        codeChallenge: await sha256Base64url(verifier),
        resources: [RESOURCE],
        scope: 'mcp:tools mcp:read',
        clientFingerprint: fingerprint,
        authTime: clock.now() - 1000,
        ...overrides,
      };
      await store.saveCode(await sha256Base64url(code), record, server.context.options.codeLifetimeMs);
      return { code, verifier, record };
    },
    async auth(clientId, key, overrides) {
      return {
        client_assertion_type: JWT_BEARER,
        client_assertion: await signAssertion(clientId, key, clock.now(), overrides),
      };
    },
    async close() {
      await server.close();
      await store.close();
    },
  };
}

/** The authorization_code form of `issued` for a public client. */
export function codeParams(clientId: string, issued: IssuedCode, extra: Record<string, string> = {}) {
  return {
    grant_type: 'authorization_code',
    client_id: clientId,
    code: issued.code,
    code_verifier: issued.verifier,
    redirect_uri: REDIRECT_URI,
    ...extra,
  };
}

/** Expects an RFC 6749 §5.2 error response with `error` and `status`, not cacheable; returns the body. */
export async function expectOAuthError(
  response: Response,
  error: string,
  status = error === 'invalid_client' ? 401 : 400,
): Promise<{ error: string; error_description: string }> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status });
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('pragma')).toBe('no-cache');
  const body = JSON.parse(text) as { error: string; error_description: string };
  expect(body.error, body.error_description).toBe(error);
  expect(typeof body.error_description).toBe('string');
  if (status === 401) expect(response.headers.get('www-authenticate')).toMatch(/invalid_client/);
  return body;
}

/** A successful token response body. */
export interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  refresh_token?: string;
}

/** Expects a 200 token response with no-store; returns its body. */
export async function expectTokens(response: Response): Promise<TokenBody> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status: 200 });
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('pragma')).toBe('no-cache');
  const body = JSON.parse(text) as TokenBody;
  expect(body.token_type).toBe('Bearer');
  expect(typeof body.access_token).toBe('string');
  return body;
}
