/**
 * Fixtures for the private_key_jwt tests: key pairs, assertion signing, hand-built resolved
 * clients, an injected clock and the memory store on it.
 */
import { randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { expect } from 'vitest';
import type { ClientMetadata } from '../../../src/document/schema.js';
import type { ResolvedClient } from '../../../src/server/clients/types.js';
import {
  InvalidClientError,
  InvalidRequestError,
  type OAuthError,
} from '../../../src/server/oauth-errors.js';
import { createMemoryStore } from '../../../src/store/memory/memory-store.js';
import type { Store } from '../../../src/store/store.js';

export const ISSUER = 'https://as.example.com';
export const TOKEN_ENDPOINT = 'https://as.example.com/token';
export const CLIENT_ID = 'https://app.example.com/oauth/client.json';
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** A fixed start time for the injected clock: 2026-11-22T12:00:00Z. */
export const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

/** A mutable clock. */
export interface Clock {
  now: () => number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function createClock(start = T0): Clock {
  let current = start;
  return {
    now: () => current,
    set: (ms) => {
      current = ms;
    },
    advance: (ms) => {
      current += ms;
    },
  };
}

/** A key pair for `alg`, with its public JWK carrying `kid` and `use: sig`. */
export interface TestKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  privateJwk: JWK;
}

export async function createKey(alg: string, kid: string): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, use: 'sig' };
  return { alg, kid, privateKey, publicJwk, privateJwk };
}

export function jwksOf(...keys: TestKey[]): { keys: JWK[] } {
  return { keys: keys.map((key) => key.publicJwk) };
}

/** Claims of a valid assertion at `now` (epoch ms), overridable; `undefined` removes a claim. */
export function claimsAt(now: number, overrides: Record<string, unknown> = {}): JWTPayload {
  const seconds = Math.floor(now / 1000);
  const claims: Record<string, unknown> = {
    iss: CLIENT_ID,
    sub: CLIENT_ID,
    aud: ISSUER,
    iat: seconds,
    exp: seconds + 60,
    jti: randomUUID(),
    ...overrides,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return claims as JWTPayload;
}

export interface SignOptions {
  /** Claim overrides (see {@link claimsAt}). */
  claims?: Record<string, unknown>;
  /** Header overrides; `kid: undefined` drops the kid. */
  header?: Record<string, unknown>;
  /** Signs with this alg instead of the key's. */
  alg?: string;
}

/** Signs an assertion with `key` at `now`. */
export function sign(key: TestKey, now: number, options: SignOptions = {}): Promise<string> {
  const header: Record<string, unknown> = {
    alg: options.alg ?? key.alg,
    typ: 'client-authentication+jwt',
    kid: key.kid,
    ...options.header,
  };
  for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name];
  return new SignJWT(claimsAt(now, options.claims))
    .setProtectedHeader(header as { alg: string })
    .sign(key.privateKey);
}

/** Token request parameters carrying `assertion`. */
export function paramsFor(assertion: string, extra: Record<string, string> = {}): URLSearchParams {
  return new URLSearchParams({ client_assertion_type: JWT_BEARER, client_assertion: assertion, ...extra });
}

/** A resolved CIMD client using private_key_jwt, built by hand. */
export function clientWith(
  metadata: Partial<ClientMetadata>,
  overrides: Partial<ResolvedClient> = {},
): ResolvedClient {
  const full = {
    client_id: CLIENT_ID,
    client_name: 'Test client',
    redirect_uris: ['http://127.0.0.1/callback'],
    token_endpoint_auth_method: 'private_key_jwt',
    ...metadata,
  } as ClientMetadata;
  return {
    clientId: CLIENT_ID,
    metadata: full,
    authMethod: 'private_key_jwt',
    redirectUris: full.redirect_uris,
    grantTypes: ['authorization_code', 'refresh_token'],
    provenance: { source: 'cimd' },
    fingerprint: 'test-fingerprint',
    trust: { allowed: true, trusted: false, reason: 'test' },
    ...overrides,
  };
}

/** The memory store on the injected clock, noting the TTL of every `recordJti` call. */
export interface TestStore extends Store {
  /** The TTLs recordJti was called with, in order. */
  jtiTtls: number[];
}

export function createTestStore(now: () => number): TestStore {
  const store = createMemoryStore({ now });
  const jtiTtls: number[] = [];
  return {
    ...store,
    jtiTtls,
    recordJti(clientId, jti, ttlMs) {
      jtiTtls.push(ttlMs);
      return store.recordJti(clientId, jti, ttlMs);
    },
  };
}

/** Awaits a rejection and returns it. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (reason: unknown) => reason,
  );
}

/** Expects `promise` to reject with invalid_client (401) whose description matches `pattern`. */
export async function expectInvalidClient(promise: Promise<unknown>, pattern: RegExp): Promise<OAuthError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(InvalidClientError);
  const oauth = error as OAuthError;
  expect(oauth.error).toBe('invalid_client');
  expect(oauth.status).toBe(401);
  expect(oauth.message).toMatch(pattern);
  return oauth;
}

/** Expects `promise` to reject with invalid_request (400) whose description matches `pattern`. */
export async function expectInvalidRequest(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(InvalidRequestError);
  expect((error as OAuthError).error).toBe('invalid_request');
  expect((error as OAuthError).message).toMatch(pattern);
}
