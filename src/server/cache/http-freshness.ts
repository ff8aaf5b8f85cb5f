/**
 * RFC 9111 freshness for fetched documents and key sets, clamped to configured bounds: a host
 * can neither pin a stale document for a year nor force a fetch on every request. `no-store`
 * and `no-cache` are honoured as "revalidate at the lower bound". Parsing is
 * http-cache-semantics'; this module only adds the bounds and the validators.
 *
 * @module
 */
import CachePolicy from 'http-cache-semantics';
import { InvalidOptionError } from '../../errors.js';

/** Lower and upper bounds of a cache lifetime, in milliseconds. */
export interface CacheBounds {
  /** The shortest time an entry is used without asking again, in ms. */
  minTtlMs: number;
  /** The longest time an entry is used without asking again, in ms. */
  maxTtlMs: number;
}

/** Default bounds for client metadata documents and JWKS: at least 60 s, at most 24 h. */
export const DEFAULT_CACHE_BOUNDS: Readonly<CacheBounds> = Object.freeze({
  minTtlMs: 60_000,
  maxTtlMs: 86_400_000,
});

/** Validators a host sent, for conditional revalidation. */
export interface Validators {
  etag?: string;
  lastModified?: string;
}

/** Throws {@link InvalidOptionError} unless `bounds` are positive integers with min <= max. */
export function assertCacheBounds(bounds: CacheBounds, name = 'cache bounds'): void {
  const { minTtlMs, maxTtlMs } = bounds;
  if (!Number.isSafeInteger(minTtlMs) || minTtlMs < 0) {
    throw new InvalidOptionError(`${name}: minTtlMs must be a non-negative integer of milliseconds`);
  }
  if (!Number.isSafeInteger(maxTtlMs) || maxTtlMs < minTtlMs) {
    throw new InvalidOptionError(`${name}: maxTtlMs must be an integer of milliseconds, at least minTtlMs`);
  }
}

/**
 * How long, in ms from `now`, a 200 response with `headers` (lower-cased names) may be used
 * without asking its host again: its RFC 9111 freshness lifetime (`Cache-Control` max-age,
 * `Expires`, `Age`), clamped to `bounds`. `no-store`, `no-cache` and an absent lifetime give the
 * lower bound.
 */
export function freshnessTtlMs(
  url: string,
  headers: Readonly<Record<string, string>>,
  bounds: CacheBounds,
  now: number,
): number {
  const policy = new CachePolicy(
    { url, method: 'GET', headers: {} },
    { status: 200, headers: { date: new Date(now).toUTCString(), ...headers } },
    { shared: false, cacheHeuristic: 0, immutableMinTimeToLive: 0 },
  );
  // maxAge() is the freshness lifetime in seconds; the Age header is subtracted here rather than
  // through timeToLive(), which reads the wall clock instead of `now`.
  const age = Number.parseInt(headers.age ?? '0', 10);
  const lifetimeSeconds = policy.storable()
    ? policy.maxAge() - (Number.isFinite(age) && age > 0 ? age : 0)
    : 0;
  const ttl = Math.max(0, lifetimeSeconds) * 1000;
  return Math.min(bounds.maxTtlMs, Math.max(bounds.minTtlMs, ttl));
}

/** The `ETag` and `Last-Modified` validators of a response (lower-cased header names). */
export function validatorsOf(headers: Readonly<Record<string, string>>): Validators {
  const validators: Validators = {};
  if (headers.etag) validators.etag = headers.etag;
  if (headers['last-modified']) validators.lastModified = headers['last-modified'];
  return validators;
}

/** The conditional request headers for `validators` (empty when there are none). */
export function conditionalHeaders(validators: Validators): Record<string, string> {
  const headers: Record<string, string> = {};
  if (validators.etag) headers['if-none-match'] = validators.etag;
  if (validators.lastModified) headers['if-modified-since'] = validators.lastModified;
  return headers;
}

/**
 * The headers to compute freshness from after a 304: the stored response's headers updated
 * with those the 304 carried (RFC 9111 §4.3.4), so a 304 without freshness headers renews the
 * stored lifetime.
 */
export function mergeNotModifiedHeaders(
  stored: Readonly<Record<string, string>>,
  notModified: Readonly<Record<string, string>>,
): Record<string, string> {
  const merged: Record<string, string> = { ...stored };
  // The stored Date is the old response's: freshness is now counted from the 304 (its own Date,
  // or the time it arrived), so an Expires-based lifetime is not renewed in full.
  delete merged.date;
  for (const [name, value] of Object.entries(notModified)) {
    if (name === 'content-length' || name === 'content-type') continue;
    merged[name] = value;
  }
  return merged;
}
