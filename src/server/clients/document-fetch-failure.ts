/**
 * How the CIMD resolver tells and reports failed document fetches: a host that is DOWN
 * (network error, timeout, 5xx) apart from a document that is gone, moved or unacceptable, the
 * `ClientResolutionError` a fetcher's error becomes, why the per-origin budget refused a fetch,
 * and the stable code a failure carries in events.
 *
 * @module
 */
import { FetchError, type FetchErrorCode } from '../../fetch/errors.js';
import { ClientResolutionError, echoId } from './errors.js';
import type { BudgetGrant, FetchPurpose } from './fetch-budget.js';

/** The stable code of a failed document fetch, for events. */
export function failureCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Why the budget refused a fetch, as the end of a sentence. */
export function budgetRefusal(grant: Extract<BudgetGrant, { ok: false }>, purpose: FetchPurpose): string {
  switch (grant.limit) {
    case 'rate':
      return 'too many client metadata fetches from this host in the last minute';
    case 'concurrency':
      return 'too many client metadata fetches from this host are in progress';
    case 'failures':
      return purpose === 'retry'
        ? 'its last fetch failed, and too many client metadata fetches from this host failed in the last minute'
        : 'too many client metadata fetches from this host failed in the last minute';
  }
}

/** Fetch failures that say the document itself is unacceptable rather than unreachable. */
const DOCUMENT_FAILURES: ReadonlySet<FetchErrorCode> = new Set([
  'ERR_FETCH_INVALID_JSON',
  'ERR_FETCH_CONTENT_TYPE',
  'ERR_FETCH_TOO_LARGE',
]);

/** True when `error` is the SSRF-safe fetcher's `FetchError`. */
export function isFetchError(error: unknown): error is FetchError {
  return error instanceof FetchError;
}

/**
 * True when a failure says the host is DOWN (network error, timeout, 5xx) rather than that the
 * document is gone, moved or wrong (4xx, redirect, content type, size, JSON, SSRF refusal).
 */
export function isHostDownFailure(error: FetchError): boolean {
  if (error.code === 'ERR_FETCH_NETWORK' || error.code === 'ERR_FETCH_TIMEOUT') return true;
  return error.code === 'ERR_FETCH_STATUS' && error.status !== undefined && error.status >= 500;
}

/**
 * The `ClientResolutionError` for a failed fetch of `url`: `ERR_CIMD_INVALID_DOCUMENT` when the
 * document was unacceptable (content type, size, JSON), `ERR_CIMD_INVALID_CLIENT_ID` for a URL
 * the fetcher refused, else `ERR_CIMD_FETCH`; the fetcher's error is its `cause`.
 */
export function fetchFailure(url: string, error: FetchError): ClientResolutionError {
  const details = {
    fetchCode: error.code,
    cause: error,
    ...(error.status === undefined ? {} : { status: error.status }),
  };
  if (DOCUMENT_FAILURES.has(error.code)) {
    return new ClientResolutionError(
      'ERR_CIMD_INVALID_DOCUMENT',
      url,
      `the client metadata document at ${echoId(url)} is not acceptable: ${error.message}`,
      details,
    );
  }
  if (error.code === 'ERR_FETCH_INVALID_URL') {
    return new ClientResolutionError('ERR_CIMD_INVALID_CLIENT_ID', url, error.message, details);
  }
  return new ClientResolutionError(
    'ERR_CIMD_FETCH',
    url,
    `the client metadata document could not be fetched: ${error.message}`,
    details,
  );
}
