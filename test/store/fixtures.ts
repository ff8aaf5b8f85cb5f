/** Records for the store contract tests, with every optional field filled unless overridden. */
import type {
  AuthorizationCodeRecord,
  ConsentRecord,
  RefreshFamilyRecord,
  RegisteredClientRecord,
  Store,
} from '../../src/store/index.js';
import { START_TIME } from './clock.js';

/** One minute, in milliseconds. */
export const MINUTE = 60_000;
/** One hour, in milliseconds. */
export const HOUR = 60 * MINUTE;

/** A code record with every field, nested values included. */
export function codeRecord(overrides: Partial<AuthorizationCodeRecord> = {}): AuthorizationCodeRecord {
  return {
    grantId: 'grant-1',
    clientId: 'https://app.example.com/client.json',
    userId: 'user-1',
    redirectUri: 'http://127.0.0.1:33418/callback',
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    resources: ['https://mcp.example.com/mcp', 'https://mcp.example.com/other'],
    scope: 'tools:read tools:call',
    clientFingerprint: 'sha256:fingerprint-1',
    authTime: START_TIME - 5000,
    extra: { nonce: 'n-1', nested: { list: [1, 'two', null], flag: true } },
    ...overrides,
  };
}

/** A code record with no optional field. */
export function minimalCodeRecord(): AuthorizationCodeRecord {
  return {
    grantId: 'grant-min',
    clientId: 'dcr-client-1',
    userId: 'user-2',
    redirectUri: 'https://app.example.com/cb',
    codeChallenge: 'challenge',
    resources: [],
    scope: '',
    authTime: START_TIME,
  };
}

/** A refresh token family record with every field, living one day from the start time. */
export function familyRecord(overrides: Partial<RefreshFamilyRecord> = {}): RefreshFamilyRecord {
  return {
    familyId: 'family-1',
    grantId: 'grant-1',
    clientId: 'https://app.example.com/client.json',
    userId: 'user-1',
    scope: 'tools:read',
    resources: ['https://mcp.example.com/mcp'],
    authMethod: 'private_key_jwt',
    keyThumbprint: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
    clientFingerprint: 'sha256:fingerprint-1',
    createdAt: START_TIME,
    expiresAt: START_TIME + 24 * HOUR,
    extra: { amr: ['pwd'], sessionId: 's-1' },
    ...overrides,
  };
}

/** A family record with no optional field. */
export function minimalFamilyRecord(overrides: Partial<RefreshFamilyRecord> = {}): RefreshFamilyRecord {
  return {
    familyId: 'family-min',
    grantId: 'grant-min',
    clientId: 'dcr-client-1',
    userId: 'user-2',
    scope: '',
    resources: [],
    authMethod: 'none',
    createdAt: START_TIME,
    expiresAt: START_TIME + HOUR,
    ...overrides,
  };
}

/** A registered client with nested metadata. */
export function clientRecord(overrides: Partial<RegisteredClientRecord> = {}): RegisteredClientRecord {
  return {
    clientId: 'dcr-7f3a',
    metadata: {
      client_name: 'Example "quoted" ünïcode client',
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
      jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc' }] },
    },
    createdAt: START_TIME,
    ...overrides,
  };
}

/** A consent living one hour from the start time. */
export function consentRecord(overrides: Partial<ConsentRecord> = {}): ConsentRecord {
  return {
    userId: 'user-1',
    clientId: 'https://app.example.com/client.json',
    scopes: ['tools:read', 'tools:call'],
    resources: ['https://mcp.example.com/mcp'],
    clientFingerprint: 'sha256:fingerprint-1',
    grantedAt: START_TIME,
    expiresAt: START_TIME + HOUR,
    ...overrides,
  };
}

/** How many of `values` fall under each key. */
export function tally<T>(values: readonly T[], key: (value: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) {
    const k = key(value);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

/** `count` calls of `call`, started together and awaited together. */
export function concurrently<T>(count: number, call: (index: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, index) => call(index)));
}

/** The input of `recordClientDocument`. */
export type DocumentSighting = Parameters<Store['recordClientDocument']>[0];

/**
 * A sighting of a client document for `recordClientDocument`, with a name and changes; an
 * override of `undefined` leaves that optional field out.
 */
export function documentSighting(
  overrides: { [K in keyof DocumentSighting]?: DocumentSighting[K] | undefined } = {},
): DocumentSighting {
  const sighting: Record<string, unknown> = {
    clientId: 'https://app.example.com/client.json',
    fingerprint: 'fp-2',
    clientName: 'Example "quoted" ünïcode app',
    changes: {
      previousFingerprint: 'fp-1',
      fields: ['client_name', 'redirect_uris'],
      keysAdded: ['NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'],
      keysRemoved: [],
    },
    seenAt: START_TIME,
    ...overrides,
  };
  for (const key of Object.keys(sighting)) if (sighting[key] === undefined) delete sighting[key];
  return sighting as DocumentSighting;
}
