/**
 * The options of the client-assertion verifier, their defaults, and their validation.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import type { SafeFetcher } from '../../fetch/index.js';
import type { Store } from '../../store/store.js';
import type { CacheBounds } from '../cache/http-freshness.js';
import type { EmitEvent } from '../events.js';
import type { AssertionAudienceMode } from './assertion-claims.js';

/** The part of the server's {@link Store} the verifier uses. */
export type ClientAssertionStore = Pick<Store, 'recordJti' | 'cacheGet' | 'cacheSet'>;

/** Default longest accepted assertion lifetime: 300 000 ms (5 min). */
export const DEFAULT_MAX_ASSERTION_LIFETIME_MS = 300_000;

/** Default tolerated clock difference between client and server: 30 000 ms. */
export const DEFAULT_CLOCK_SKEW_MS = 30_000;

/** Options of {@link createClientAssertionVerifier}. */
export interface ClientAssertionVerifierOptions {
  /** This authorization server's issuer identifier (RFC 8414 `issuer`). Required. */
  issuer: string;
  /**
   * This server's token endpoint URL. Accepted as `aud` in `issuer-or-token-endpoint` mode
   * (RFC 7523 allows it). Default: none, so only the issuer is accepted.
   */
  tokenEndpoint?: string;
  /**
   * Where `jti` values are recorded (`recordJti`, atomic, shared by every instance: PKJ-09) and,
   * unless `shareKeySets` is false, the shared tier of the `jwks_uri` cache (`cacheGet` /
   * `cacheSet`). Required.
   */
  store: ClientAssertionStore;
  /** The SSRF-safe fetcher `jwks_uri` is loaded with (createSafeFetcher). Required. */
  fetcher: SafeFetcher;
  /**
   * Which `aud` values are accepted (PKJ-05). Default `'issuer-or-token-endpoint'`: the issuer
   * or the token endpoint, as a string or in an array. `'issuer-only'` (7523bis strict mode):
   * the issuer as the sole value.
   */
  audience?: AssertionAudienceMode;
  /**
   * The longest assertion lifetime accepted, ms: `exp - (iat ?? now)` and the age of `iat` may
   * not exceed it (plus `clockSkewMs`). Default 300 000 (5 min).
   */
  maxLifetimeMs?: number;
  /** Tolerated clock difference for `exp`, `nbf` and `iat`, ms. Default 30 000. */
  clockSkewMs?: number;
  /** Freshness bounds of fetched key sets, ms. Default 60 000 .. 3 600 000 (60 s .. 1 h). */
  jwksCacheBounds?: CacheBounds;
  /**
   * Minimum time between fetching a client's key set and fetching it again because an assertion
   * named an unknown `kid`, ms. Default 30 000. `0` refetches on every unknown `kid`.
   */
  kidRefetchCooldownMs?: number;
  /** Receives the key-set cache's fetch and cache-lookup events (metrics). Default: none. */
  emit?: EmitEvent;
  /** Whether fetched key sets are shared through `store.cacheGet` / `cacheSet`. Default `true`. */
  shareKeySets?: boolean;
  /** Fetched key sets kept in process. Default 1000. */
  maxCachedKeySets?: number;
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** The options with defaults applied (the cache's own options are checked by the cache). */
export interface VerifierSettings {
  issuer: string;
  tokenEndpoint: string | undefined;
  store: ClientAssertionStore;
  audience: AssertionAudienceMode;
  maxLifetimeMs: number;
  clockSkewMs: number;
  now: () => number;
}

function checkUrl(name: string, value: unknown): string {
  if (typeof value !== 'string' || !URL.canParse(value)) {
    throw new InvalidOptionError(`${name} must be an absolute URL string; got ${String(value)}`);
  }
  return value;
}

function checkInteger(name: string, value: unknown, fallback: number, min: number, unit = ''): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionError(`${name} must be an integer${unit}, at least ${min}; got ${String(value)}`);
  }
  return value;
}

function checkDuration(name: string, value: unknown, fallback: number, min: number): number {
  return checkInteger(name, value, fallback, min, ' of milliseconds');
}

/**
 * Checks the verifier's own options and applies the defaults.
 *
 * @throws InvalidOptionError naming the option and what it accepts.
 */
export function resolveVerifierSettings(options: ClientAssertionVerifierOptions): VerifierSettings {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('the options of createClientAssertionVerifier must be an object');
  }
  const { store } = options;
  if (typeof store?.recordJti !== 'function') {
    throw new InvalidOptionError('store must implement recordJti (the server Store)');
  }
  const audience = options.audience ?? 'issuer-or-token-endpoint';
  if (audience !== 'issuer-or-token-endpoint' && audience !== 'issuer-only') {
    throw new InvalidOptionError(
      `audience must be 'issuer-or-token-endpoint' or 'issuer-only'; got ${String(audience)}`,
    );
  }
  if (options.shareKeySets !== undefined && typeof options.shareKeySets !== 'boolean') {
    throw new InvalidOptionError('shareKeySets must be true or false');
  }
  checkInteger('maxCachedKeySets', options.maxCachedKeySets, 0, 1);
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new InvalidOptionError('now must be a function returning epoch milliseconds');
  }
  return {
    issuer: checkUrl('issuer', options.issuer),
    tokenEndpoint:
      options.tokenEndpoint === undefined ? undefined : checkUrl('tokenEndpoint', options.tokenEndpoint),
    store,
    audience,
    maxLifetimeMs: checkDuration(
      'maxLifetimeMs',
      options.maxLifetimeMs,
      DEFAULT_MAX_ASSERTION_LIFETIME_MS,
      1,
    ),
    clockSkewMs: checkDuration('clockSkewMs', options.clockSkewMs, DEFAULT_CLOCK_SKEW_MS, 0),
    now: options.now ?? Date.now,
  };
}
