/**
 * Fetches the JWKS a key set is published at, with the SSRF-safe fetcher (https only, no
 * redirects, 200 only, JSON, the 64 KiB JWKS cap, one deadline). Node only.
 *
 * @module
 */
import { createSafeFetcher, JWKS_MAX_BYTES, type SafeFetcher } from '../fetch/index.js';
import { KeySetError } from './errors.js';
import type { KeySet } from './key-set.js';

/** Options of {@link fetchPublishedJwks}. */
export interface FetchPublishedJwksOptions {
  /** A fetcher to use (it is not closed). Default: a new SSRF-safe fetcher made from the options below. */
  fetcher?: SafeFetcher;
  /**
   * LOUD opt-in, default `false`: allow a `jwksUri` on this machine or a private network (local
   * development). Ignored when `fetcher` is given.
   */
  allowPrivateNetwork?: boolean;
  /** The deadline of the fetch, in milliseconds. Default 5000. Ignored when `fetcher` is given. */
  timeoutMs?: number;
}

/**
 * GETs the JWK Set served at `set.jwksUri` and returns its parsed JSON (not checked: compare it
 * with `comparePublication`).
 *
 * @throws KeySetError `ERR_KEYS_NO_JWKS_URI` when the key set records no `jwksUri`.
 * @throws FetchError (`mcp-cimd/fetch`) when the fetch fails: network, status, redirect, size,
 *   content type, timeout, SSRF refusal.
 */
export async function fetchPublishedJwks(
  set: KeySet,
  options: FetchPublishedJwksOptions = {},
): Promise<unknown> {
  if (set.jwksUri === undefined) {
    throw new KeySetError(
      'ERR_KEYS_NO_JWKS_URI',
      'the key set records no jwksUri, so what is published cannot be checked; record it with --jwks-uri <url>',
    );
  }
  const fetcher =
    options.fetcher ??
    createSafeFetcher({
      maxBytes: JWKS_MAX_BYTES,
      ...(options.allowPrivateNetwork !== undefined
        ? { allowPrivateNetwork: options.allowPrivateNetwork }
        : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  try {
    const response = await fetcher.fetch(set.jwksUri, { maxBytes: JWKS_MAX_BYTES });
    return response.json;
  } finally {
    if (options.fetcher === undefined) await fetcher.close();
  }
}
