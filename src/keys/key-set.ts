/**
 * The key set: every signing key of a client with its rotation state, where the public set is
 * served, and the timing settings the rotation rules use. This is what a key set file holds.
 *
 * @module
 */
import type { JWK } from 'jose';
import { InvalidOptionError } from '../errors.js';
import type { ClientKeyAlgorithm } from './algorithms.js';
import type { ClientKey } from './generate.js';

/** The format version of a key set (and of its file). */
export const KEY_SET_VERSION = 1;

/**
 * Where a key is in its life: `next` is published but does not sign yet, `current` signs (exactly
 * one key is current), `previous` no longer signs but stays published until its grace period ends.
 */
export type KeyState = 'next' | 'current' | 'previous';

/** Default of {@link KeySetSettings.maxAssertionLifetimeMs}: 60 000 ms (our signer's assertions live 60 s). */
export const DEFAULT_MAX_ASSERTION_LIFETIME_MS = 60_000;

/**
 * Default of {@link KeySetSettings.maxJwksCacheMs}: 24 hours, in ms (servers commonly clamp
 * JWKS caching to at most a day; mcp-cimd's own server clamps to one hour).
 */
export const DEFAULT_MAX_JWKS_CACHE_MS = 24 * 60 * 60 * 1000;

/** The timing assumptions of a key set; both decide when a previous key may be retired. */
export interface KeySetSettings {
  /**
   * The longest lifetime of an assertion signed with these keys, in milliseconds. Default 60 000.
   * Signing with a longer lifetime is refused.
   */
  maxAssertionLifetimeMs: number;
  /**
   * The longest time an authorization server may cache the published JWKS, in milliseconds.
   * Default 86 400 000 (24 h).
   */
  maxJwksCacheMs: number;
}

/** One key of a key set. Timestamps are ISO 8601 strings in UTC. */
export interface StoredKey {
  /** The RFC 7638 thumbprint of the public key. */
  kid: string;
  /** The JWS algorithm the key signs with. */
  alg: ClientKeyAlgorithm;
  /** The key's rotation state. */
  state: KeyState;
  /** When the key was generated. */
  createdAt: string;
  /** When the key joined as the next key (absent for the first key of a set). */
  stagedAt?: string;
  /** When `promote` saw the key served at `jwksUri` (absent when promoted with force, or first key). */
  publishedAt?: string;
  /** When the key became current. */
  promotedAt?: string;
  /** When the key stopped signing (state `previous`). */
  demotedAt?: string;
  /** The private JWK (with `kid`, `alg`, `use`). Secret. */
  privateJwk: JWK;
}

/** A key set: exactly one current key, at most one next key, any number of previous keys. */
export interface KeySet {
  /** The format version, {@link KEY_SET_VERSION}. */
  version: typeof KEY_SET_VERSION;
  /** The https URL where the public JWKS is served (the document's `jwks_uri`), when known. */
  jwksUri?: string;
  /** Timing settings. */
  settings: KeySetSettings;
  /** The keys, current first, then next, then previous (newest first). */
  keys: StoredKey[];
}

/** Options of {@link createKeySet}. */
export interface CreateKeySetOptions {
  /** Where the public JWKS will be served; checked to be an https URL. */
  jwksUri?: string;
  /** Timing settings; each defaults as documented on {@link KeySetSettings}. */
  settings?: Partial<KeySetSettings>;
  /** Now, in epoch milliseconds. Default `Date.now()`. */
  now?: number;
}

/** An ISO 8601 UTC timestamp of an epoch-millisecond time. */
export function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/**
 * Checks a `jwksUri`: an absolute https URL without userinfo or fragment.
 *
 * @throws InvalidOptionError saying what is wrong.
 */
export function checkJwksUri(value: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || url.protocol !== 'https:' || url.username || url.password || url.hash) {
    throw new InvalidOptionError(
      `jwksUri must be an absolute https URL without credentials or fragment (where the public JWKS is served); got ${JSON.stringify(value)}`,
    );
  }
  return value as string;
}

function checkDuration(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionError(
      `${name} must be a whole number of milliseconds, at least ${min}; got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Checks timing settings and applies the defaults.
 *
 * @throws InvalidOptionError for a value that is not a whole number of milliseconds (assertion
 *   lifetime at least 1000, cache time at least 0).
 */
export function resolveKeySetSettings(settings: Partial<KeySetSettings> = {}): KeySetSettings {
  return {
    maxAssertionLifetimeMs: checkDuration(
      'maxAssertionLifetimeMs',
      settings.maxAssertionLifetimeMs ?? DEFAULT_MAX_ASSERTION_LIFETIME_MS,
      1000,
    ),
    maxJwksCacheMs: checkDuration('maxJwksCacheMs', settings.maxJwksCacheMs ?? DEFAULT_MAX_JWKS_CACHE_MS, 0),
  };
}

/** A key set whose only key, `key`, is current (promoted when created). */
export function createKeySet(key: ClientKey, options: CreateKeySetOptions = {}): KeySet {
  const now = isoTime(options.now ?? Date.now());
  const set: KeySet = {
    version: KEY_SET_VERSION,
    settings: resolveKeySetSettings(options.settings),
    keys: [
      {
        kid: key.kid,
        alg: key.alg,
        state: 'current',
        createdAt: now,
        promotedAt: now,
        privateJwk: key.privateJwk,
      },
    ],
  };
  if (options.jwksUri !== undefined) set.jwksUri = checkJwksUri(options.jwksUri);
  return set;
}

/** A copy of `set` with `jwksUri` recorded (checked to be an https URL). */
export function withJwksUri(set: KeySet, jwksUri: string): KeySet {
  return { ...set, jwksUri: checkJwksUri(jwksUri) };
}

/** The current key (every valid key set has exactly one). */
export function currentKey(set: KeySet): StoredKey {
  const key = set.keys.find((candidate) => candidate.state === 'current');
  if (key === undefined) throw new InvalidOptionError('the key set has no current key');
  return key;
}

/** The next key, if one is staged. */
export function nextKey(set: KeySet): StoredKey | undefined {
  return set.keys.find((candidate) => candidate.state === 'next');
}

/** The previous keys, newest first. */
export function previousKeys(set: KeySet): StoredKey[] {
  return set.keys.filter((candidate) => candidate.state === 'previous');
}

const STATE_ORDER: Record<KeyState, number> = { current: 0, next: 1, previous: 2 };

/** The keys in file order: current, next, then previous keys, newest demotion first. */
export function orderKeys(keys: readonly StoredKey[]): StoredKey[] {
  return [...keys].sort(
    (a, b) =>
      STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
      Date.parse(b.demotedAt ?? b.createdAt) - Date.parse(a.demotedAt ?? a.createdAt),
  );
}
