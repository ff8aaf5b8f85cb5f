/**
 * Fetching the client's own metadata document once, through the SSRF-safe fetcher, to learn its
 * redirect URIs, auth method and signing algorithm.
 *
 * @module
 */
import { createSafeFetcher } from '../fetch/safe-fetch.js';
import type { SafeFetchOptions } from '../fetch/types.js';
import { SignInError } from './errors.js';

/**
 * GETs the document at `url` (https, no redirects, 200 JSON, size cap, one deadline) and returns
 * the parsed JSON; validation is the caller's ({@link profileFromDocument}).
 *
 * @throws SignInError `ERR_SIGNIN_CLIENT_CONFIG` wrapping the fetcher's error.
 */
export async function fetchClientDocument(url: string, options: SafeFetchOptions = {}): Promise<unknown> {
  const fetcher = createSafeFetcher(options);
  try {
    const response = await fetcher.fetch(url);
    return response.json;
  } catch (error) {
    throw new SignInError(
      'ERR_SIGNIN_CLIENT_CONFIG',
      `cannot load the client metadata document ${url}: ${error instanceof Error ? error.message : String(error)}. Pass the document or the redirect URIs instead, or fix the URL.`,
      { cause: error },
    );
  } finally {
    await fetcher.close();
  }
}
