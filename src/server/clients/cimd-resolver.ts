/**
 * The CIMD resolver: a `client_id` URL to a validated document, through the in-process cache,
 * the shared cache and the SSRF-safe fetcher, with one fetch in flight per URL, RFC 9111
 * freshness clamped to bounds, conditional revalidation, a per-origin fetch budget and a
 * fail-closed failure policy (optionally serving a stale document while its host is down).
 *
 * @module
 */
import { FetchError, type FetchErrorCode } from '../../fetch/errors.js';
import type { SafeFetcher, SafeFetchResponse } from '../../fetch/types.js';
import {
  type CacheBounds,
  conditionalHeaders,
  freshnessTtlMs,
  mergeNotModifiedHeaders,
  validatorsOf,
} from '../cache/http-freshness.js';
import { type CacheEntry, type DocumentCache, type DocumentRecord, keepHeaders } from './document-cache.js';
import { ClientResolutionError, echoId } from './errors.js';
import type { FetchBudget } from './fetch-budget.js';
import type { ClientProvenance } from './types.js';
import type { AcceptedDocument } from './validate-document.js';

/** A document as the resolver hands it to the registry. */
export interface ResolvedDocument {
  accepted: AcceptedDocument;
  provenance: ClientProvenance;
}

/** What the resolver is built from (the registry validates the options and builds these). */
export interface CimdResolverSettings {
  /** Fetches `https` documents. */
  fetcher: SafeFetcher;
  /** Fetches `http` loopback documents (only with `dangerouslyAllowHttpClientIds`). */
  httpFetcher?: SafeFetcher;
  cache: DocumentCache;
  budget: FetchBudget;
  bounds: CacheBounds;
  /** How long past its freshness a document may be served while its host is down, in ms; 0 = never. */
  serveStaleOnErrorMs: number;
  now: () => number;
  /** Validates a body; throws a `ClientResolutionError` when the server does not accept it. */
  accept: (json: unknown, url: string, byteLength: number) => Promise<AcceptedDocument>;
}

/** Fetch failures that say the document itself is unacceptable rather than unreachable. */
const DOCUMENT_FAILURES: ReadonlySet<FetchErrorCode> = new Set([
  'ERR_FETCH_INVALID_JSON',
  'ERR_FETCH_CONTENT_TYPE',
  'ERR_FETCH_TOO_LARGE',
]);

function isFetchError(error: unknown): error is FetchError {
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

function fetchFailure(url: string, error: FetchError): ClientResolutionError {
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

function provenanceOf(record: DocumentRecord, stale: boolean): ClientProvenance {
  const provenance: ClientProvenance = {
    source: 'cimd',
    fetchedAt: record.fetchedAt,
    freshUntil: record.freshUntil,
  };
  const { etag, lastModified } = validatorsOf(record.headers);
  if (etag !== undefined) provenance.etag = etag;
  if (lastModified !== undefined) provenance.lastModified = lastModified;
  if (stale) provenance.stale = true;
  return provenance;
}

/** See the module documentation. */
export class CimdResolver {
  readonly #settings: CimdResolverSettings;
  readonly #inFlight = new Map<string, Promise<ResolvedDocument>>();

  constructor(settings: CimdResolverSettings) {
    this.#settings = settings;
  }

  /**
   * The document at `url` (already checked against the CIMD URL rules and the trust policy):
   * a fresh in-process copy at once; otherwise one shared load per URL (shared tier, then a
   * fetch, conditional when a copy with validators exists).
   */
  resolve(url: string): Promise<ResolvedDocument> {
    const hit = this.#settings.cache.get(url);
    if (hit !== undefined && this.#settings.now() < hit.record.freshUntil) {
      return Promise.resolve({ accepted: hit.accepted, provenance: provenanceOf(hit.record, false) });
    }
    let pending = this.#inFlight.get(url);
    if (pending === undefined) {
      pending = this.#load(url).finally(() => this.#inFlight.delete(url));
      this.#inFlight.set(url, pending);
    }
    return pending;
  }

  /** Forgets `url` in both cache tiers (a load in flight still completes and caches its result). */
  invalidate(url: string): Promise<void> {
    return this.#settings.cache.delete(url);
  }

  /** The newest usable copy: the in-process one, or the shared one when it is newer and still valid. */
  async #candidate(url: string): Promise<CacheEntry | undefined> {
    const { cache, accept } = this.#settings;
    const local = cache.get(url);
    const shared = await cache.getShared(url);
    if (shared === undefined) return local;
    if (local !== undefined && shared.freshUntil <= local.record.freshUntil) return local;
    if (local !== undefined && local.record.text === shared.text) {
      return { record: shared, accepted: local.accepted };
    }
    try {
      const json: unknown = JSON.parse(shared.text);
      return { record: shared, accepted: await accept(json, url, shared.byteLength) };
    } catch {
      // Another instance's copy this instance would not accept: ignore it, as if it were absent.
      return local;
    }
  }

  /** Whether `serveStaleOnErrorMs` still covers a copy past its freshness. */
  #withinStaleWindow(entry: CacheEntry): boolean {
    const limit = this.#settings.serveStaleOnErrorMs;
    return limit > 0 && this.#settings.now() <= entry.record.freshUntil + limit;
  }

  #retentionMs(ttlMs: number): number {
    return ttlMs + Math.max(this.#settings.serveStaleOnErrorMs, this.#settings.bounds.maxTtlMs);
  }

  async #load(url: string): Promise<ResolvedDocument> {
    const { cache, budget, now } = this.#settings;
    const candidate = await this.#candidate(url);
    if (candidate !== undefined && now() < candidate.record.freshUntil) {
      cache.remember(candidate);
      return { accepted: candidate.accepted, provenance: provenanceOf(candidate.record, false) };
    }

    const origin = new URL(url).origin;
    const grant = budget.acquire(origin);
    if (!grant.ok) {
      // The host was just seen DOWN: keep serving the stale copy (within the window) rather than
      // turning every request during the outage into a budget refusal.
      if (candidate?.hostDownAt !== undefined && this.#withinStaleWindow(candidate)) {
        return { accepted: candidate.accepted, provenance: provenanceOf(candidate.record, true) };
      }
      const why =
        grant.limit === 'rate'
          ? 'too many client metadata fetches from this host in the last minute'
          : 'too many client metadata fetches from this host are in progress';
      throw new ClientResolutionError(
        'ERR_CIMD_FETCH_BUDGET',
        url,
        `the client metadata document at ${echoId(url)} was not fetched: ${why}; try again in ${Math.ceil(grant.retryAfterMs / 1000)} s`,
        { retryAfterMs: grant.retryAfterMs },
      );
    }

    let response: SafeFetchResponse;
    try {
      const headers =
        candidate === undefined ? {} : conditionalHeaders(validatorsOf(candidate.record.headers));
      const conditional = Object.keys(headers).length > 0;
      const fetcher = url.startsWith('http:') ? this.#settings.httpFetcher : this.#settings.fetcher;
      if (fetcher === undefined) {
        throw new ClientResolutionError(
          'ERR_CIMD_INVALID_CLIENT_ID',
          url,
          `${echoId(url)} is not an https URL`,
        );
      }
      response = await fetcher.fetch(url, conditional ? { headers, allowNotModified: true } : {});
    } catch (error) {
      if (!isFetchError(error)) throw error;
      if (isHostDownFailure(error)) {
        if (candidate !== undefined && this.#withinStaleWindow(candidate)) {
          cache.remember({ ...candidate, hostDownAt: now() });
          return { accepted: candidate.accepted, provenance: provenanceOf(candidate.record, true) };
        }
      } else {
        // Gone, moved or wrong: the copy no longer stands for what the host serves.
        await cache.delete(url);
      }
      throw fetchFailure(url, error);
    } finally {
      grant.release();
    }

    const at = now();
    let entry: CacheEntry;
    if (response.status === 304 && candidate !== undefined) {
      const headers = keepHeaders(mergeNotModifiedHeaders(candidate.record.headers, response.headers));
      const ttl = freshnessTtlMs(url, headers, this.#settings.bounds, at);
      entry = {
        record: { ...candidate.record, headers, fetchedAt: at, freshUntil: at + ttl },
        accepted: candidate.accepted,
      };
    } else if (response.status === 304) {
      throw new ClientResolutionError(
        'ERR_CIMD_FETCH',
        url,
        `the client metadata document could not be fetched: ${echoId(url)} answered 304 Not Modified to a request for the document`,
        { status: 304 },
      );
    } else {
      let accepted: AcceptedDocument;
      try {
        accepted = await this.#settings.accept(response.json, url, response.byteLength);
      } catch (error) {
        await cache.delete(url);
        throw error;
      }
      const headers = keepHeaders(response.headers);
      const ttl = freshnessTtlMs(url, headers, this.#settings.bounds, at);
      entry = {
        record: {
          url,
          text: response.text,
          byteLength: response.byteLength,
          headers,
          fetchedAt: at,
          freshUntil: at + ttl,
        },
        accepted,
      };
    }
    await cache.set(entry, this.#retentionMs(entry.record.freshUntil - at));
    return { accepted: entry.accepted, provenance: provenanceOf(entry.record, false) };
  }
}
