/**
 * Staged key rotation as a small state machine over a key set (pure functions; nothing is
 * fetched or written here):
 *
 * 1. `stageKey`: a next key joins. Publish the new public JWKS (current + next + previous).
 * 2. `promoteNextKey`: once the next key is served at `jwksUri`, it becomes current (it signs)
 *    and the current key becomes previous. Refused while the next key is not served.
 * 3. `retirePreviousKeys`: once no server can still need a previous key (its grace period, by
 *    default the assertion lifetime plus the JWKS cache time after it stopped signing), it is
 *    removed. Publish the JWKS again.
 *
 * `force` is the only way past a refusal.
 *
 * @module
 */
import { InvalidOptionError } from '../errors.js';
import { KeySetError } from './errors.js';
import type { ClientKey } from './generate.js';
import { isoTime, type KeySet, nextKey, orderKeys, previousKeys, type StoredKey } from './key-set.js';
import { keyPublication } from './publication.js';

/** Options of {@link stageKey}. */
export interface StageKeyOptions {
  /** Now, in epoch milliseconds. Default `Date.now()`. */
  now?: number;
}

/**
 * Adds `key` as the next key. The public JWKS then holds current + next (+ previous): publish it,
 * then promote.
 *
 * @throws KeySetError `ERR_KEYS_NEXT_EXISTS` when a next key is already staged (one at a time:
 *   promote it first).
 * @throws InvalidOptionError when the key set already holds a key with this kid.
 */
export function stageKey(set: KeySet, key: ClientKey, options: StageKeyOptions = {}): KeySet {
  const staged = nextKey(set);
  if (staged !== undefined) {
    throw new KeySetError(
      'ERR_KEYS_NEXT_EXISTS',
      `a next key (${staged.kid}) is already staged; only one at a time: publish the JWKS and promote it first`,
    );
  }
  if (set.keys.some((existing) => existing.kid === key.kid)) {
    throw new InvalidOptionError(`the key set already holds the key ${key.kid}; generate a new key`);
  }
  const now = isoTime(options.now ?? Date.now());
  const added: StoredKey = {
    kid: key.kid,
    alg: key.alg,
    state: 'next',
    createdAt: now,
    stagedAt: now,
    privateJwk: key.privateJwk,
  };
  return { ...set, keys: orderKeys([...set.keys, added]) };
}

/** Options of {@link promoteNextKey}. */
export interface PromoteOptions {
  /**
   * The parsed JWK Set served at the key set's `jwksUri` right now (see `fetchPublishedJwks`).
   * The next key must be in it, with the same `kid` and key material, unless `force` is set.
   */
  published?: unknown;
  /** Promote without checking that the next key is published. Default `false`. */
  force?: boolean;
  /** Now, in epoch milliseconds. Default `Date.now()`. */
  now?: number;
}

/**
 * Makes the next key current (it signs from now on) and the current key previous (`demotedAt` =
 * now; it stays published through its grace period). Servers that cached the JWKS before the
 * next key was published learn it on their next refetch (many refetch on an unknown `kid`).
 *
 * @throws KeySetError `ERR_KEYS_NO_NEXT` when no next key is staged (run stage first);
 *   `ERR_KEYS_NOT_PUBLISHED` when the next key is not in `options.published` and `force` is not set.
 */
export function promoteNextKey(set: KeySet, options: PromoteOptions = {}): KeySet {
  const next = nextKey(set);
  if (next === undefined) {
    throw new KeySetError(
      'ERR_KEYS_NO_NEXT',
      'there is no next key to promote: stage one first (cimd keys rotate --stage), publish the JWKS, then promote',
    );
  }
  const where = set.jwksUri ?? 'the jwks_uri';
  const publication = options.force ? 'yes' : keyPublication(options.published, next);
  if (publication !== 'yes') {
    throw new KeySetError(
      'ERR_KEYS_NOT_PUBLISHED',
      publication === 'mismatch'
        ? `the next key ${next.kid} is served at ${where} with different key material: publish the current JWKS, then promote`
        : `the next key ${next.kid} is not published yet at ${where}: publish the JWKS, then promote`,
    );
  }
  const nowMs = options.now ?? Date.now();
  const now = isoTime(nowMs);
  const keys = set.keys.map((key): StoredKey => {
    if (key.state === 'current') return { ...key, state: 'previous', demotedAt: now };
    if (key.state !== 'next') return key;
    const promoted: StoredKey = { ...key, state: 'current', promotedAt: now };
    if (!options.force) promoted.publishedAt = now;
    return promoted;
  });
  return { ...set, keys: orderKeys(keys) };
}

/**
 * When a previous key may be retired: `demotedAt` + `maxAssertionLifetimeMs` + `maxJwksCacheMs`
 * (by default 60 s + 24 h). Until then an assertion it signed may still be in flight, or a server
 * may still hold a JWKS from before the rotation.
 */
export function retireAfter(set: KeySet, key: StoredKey): Date {
  const demoted = Date.parse(key.demotedAt ?? key.promotedAt ?? key.createdAt);
  return new Date(demoted + set.settings.maxAssertionLifetimeMs + set.settings.maxJwksCacheMs);
}

/** Options of {@link retirePreviousKeys}. */
export interface RetireOptions {
  /** Retire every previous key now, grace period or not. Default `false`. */
  force?: boolean;
  /** Now, in epoch milliseconds. Default `Date.now()`. */
  now?: number;
}

/** The outcome of {@link retirePreviousKeys}. */
export interface RetireResult {
  /** The key set without the retired keys. */
  keySet: KeySet;
  /** The kids removed. */
  retired: string[];
  /** Previous keys kept because their grace period has not passed, with when it does. */
  remaining: { kid: string; retireAfter: Date }[];
}

/**
 * Removes the previous keys whose grace period ({@link retireAfter}) has passed, or all of them
 * with `force`. Publish the JWKS again afterwards.
 *
 * @throws KeySetError `ERR_KEYS_NO_PREVIOUS` when there is no previous key;
 *   `ERR_KEYS_GRACE_PERIOD` (with `retireAfter`, the earliest safe time) when none has passed it.
 */
export function retirePreviousKeys(set: KeySet, options: RetireOptions = {}): RetireResult {
  const previous = previousKeys(set);
  if (previous.length === 0) {
    throw new KeySetError('ERR_KEYS_NO_PREVIOUS', 'there is no previous key to retire');
  }
  const now = options.now ?? Date.now();
  const due = (key: StoredKey) => options.force === true || retireAfter(set, key).getTime() <= now;
  const retired = previous.filter(due).map((key) => key.kid);
  const remaining = previous
    .filter((key) => !due(key))
    .map((key) => ({ kid: key.kid, retireAfter: retireAfter(set, key) }))
    .sort((a, b) => a.retireAfter.getTime() - b.retireAfter.getTime());
  if (retired.length === 0) {
    const earliest = remaining[0]!;
    throw new KeySetError(
      'ERR_KEYS_GRACE_PERIOD',
      `the previous key ${earliest.kid} may still be needed: it can be retired after ${earliest.retireAfter.toISOString()} (assertion lifetime ${set.settings.maxAssertionLifetimeMs} ms + JWKS cache time ${set.settings.maxJwksCacheMs} ms after it stopped signing)`,
      { retireAfter: earliest.retireAfter },
    );
  }
  const gone = new Set(retired);
  return {
    keySet: { ...set, keys: set.keys.filter((key) => !gone.has(key.kid)) },
    retired,
    remaining,
  };
}
