/**
 * The CIMD resolver: a `client_id` URL to a validated document, through the in-process cache,
 * the shared cache and the SSRF-safe fetcher, with one fetch in flight per URL, RFC 9111
 * freshness clamped to bounds, conditional revalidation, a per-origin fetch budget that tells
 * known-good, known-bad and new URLs apart, and a fail-closed failure policy (optionally serving
 * a stale document while its host is down).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { FetchError } from '../../fetch/errors.js';
import type { SafeFetcher, SafeFetchResponse } from '../../fetch/types.js';
import {
  type CacheBounds,
  conditionalHeaders,
  freshnessTtlMs,
  mergeNotModifiedHeaders,
  validatorsOf,
} from '../cache/http-freshness.js';
import type { EmitEvent } from '../events.js';
import {
  type CachedDocument,
  type CacheEntry,
  type DocumentCache,
  type InProcessRecord,
  keepHeaders,
} from './document-cache.js';
import {
  budgetRefusal,
  failureCode,
  fetchFailure,
  isFetchError,
  isHostDownFailure,
} from './document-fetch-failure.js';
import { ClientResolutionError, echoId } from './errors.js';
import type { FetchBudget, FetchOutcome, FetchPurpose } from './fetch-budget.js';
import type { ClientProvenance } from './types.js';

/** A document as the resolver hands it to the registry. */
export interface ResolvedDocument {
  accepted: CachedDocument;
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
  accept: (json: unknown, url: string, byteLength: number) => Promise<CachedDocument>;
  /**
   * How long an instance waits for another instance sharing the store to finish fetching a URL
   * before fetching it itself, in ms. Default {@link DEFAULT_SHARED_FETCH_WAIT_MS}.
   */
  sharedFetchWaitMs?: number;
  /** Receives `cache.lookup`, `fetch.completed` and `fetch.budget_refused` events (target `document`). */
  emit: EmitEvent;
}

/**
 * Default of {@link CimdResolverSettings.sharedFetchWaitMs}: 5 s, in ms. The lock an instance
 * takes to fetch lives twice as long, so a crashed instance holds up the others at most that.
 */
export const DEFAULT_SHARED_FETCH_WAIT_MS = 5_000;
/** The pause between looks at the shared tier while another instance fetches, in ms. */
const SHARED_FETCH_POLL_MS = 20;

/**
 * How long, and how many, URLs whose last fetch showed a missing, moved or unacceptable document
 * are remembered as such. Only to charge their next fetches to the right budget (a `retry`):
 * the failure itself is never answered from memory (CIMD-AS-13, CIMD-AS-14).
 */
const KNOWN_BAD_MS = 60_000;
const MAX_KNOWN_BAD = 10_000;

function provenanceOf(record: InProcessRecord, stale: boolean): ClientProvenance {
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
  /** URLs whose last fetch showed a missing, moved or unacceptable document. */
  readonly #knownBad: LRUCache<string, true>;
  /** This instance, as the owner of the shared fetch locks it takes. */
  readonly #owner = randomUUID();

  constructor(settings: CimdResolverSettings) {
    this.#settings = settings;
    this.#knownBad = new LRUCache({ max: MAX_KNOWN_BAD, ttl: KNOWN_BAD_MS, perf: { now: settings.now } });
  }

  /**
   * The document at `url` (already checked against the CIMD URL rules and the trust policy):
   * a fresh in-process copy at once; otherwise one shared load per URL (shared tier, then a
   * fetch, conditional when a copy with validators exists).
   */
  resolve(url: string): Promise<ResolvedDocument> {
    const hit = this.#settings.cache.get(url);
    if (hit !== undefined && this.#settings.now() < hit.record.freshUntil) {
      this.#settings.emit({ type: 'cache.lookup', target: 'document', result: 'hit' });
      return Promise.resolve({ accepted: hit.accepted, provenance: provenanceOf(hit.record, false) });
    }
    let pending = this.#inFlight.get(url);
    if (pending === undefined) {
      pending = this.#load(url).finally(() => this.#inFlight.delete(url));
      this.#inFlight.set(url, pending);
    }
    return pending;
  }

  /**
   * Whether a document of `url` (fresh or not) is in the in-process tier: it got there only
   * after `url` passed the registry's URL checks.
   */
  isCached(url: string): boolean {
    return this.#settings.cache.has(url);
  }

  /**
   * Forgets `url` in both cache tiers, and that its last fetch failed (a load in flight still
   * completes and caches its result).
   */
  invalidate(url: string): Promise<void> {
    this.#knownBad.delete(url);
    return this.#settings.cache.delete(url);
  }

  /** Remembers `url` as known bad when `error` says its document is missing, moved or unacceptable. */
  #rememberFailure(url: string, error: unknown): void {
    if (!(error instanceof ClientResolutionError)) return;
    if (error.cause instanceof FetchError && isHostDownFailure(error.cause)) return;
    this.#knownBad.set(url, true);
  }

  #purposeOf(url: string, candidate: CacheEntry | undefined): FetchPurpose {
    if (candidate !== undefined) return 'revalidate';
    return this.#knownBad.has(url) ? 'retry' : 'discover';
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

  /** A fresh copy of `candidate` as a resolved document (remembered in process), or `undefined`. */
  #freshOf(candidate: CacheEntry | undefined): ResolvedDocument | undefined {
    if (candidate === undefined || this.#settings.now() >= candidate.record.freshUntil) return undefined;
    this.#settings.cache.remember(candidate);
    return { accepted: candidate.accepted, provenance: provenanceOf(candidate.record, false) };
  }

  /**
   * At most one fetch of `url` across the instances sharing the store: takes the store's fetch
   * lock, or waits (up to `sharedFetchWaitMs`) for the instance holding it to put a fresh copy in
   * the shared tier. Resolves the copy found meanwhile, or the newest copy (stale or none) to
   * fetch over, and whether this instance holds the lock.
   */
  async #claimOrAwait(
    url: string,
    candidate: CacheEntry | undefined,
  ): Promise<ResolvedDocument | { claimed: boolean; candidate: CacheEntry | undefined }> {
    const { cache } = this.#settings;
    if (!cache.shared) return { claimed: false, candidate };
    const waitMs = this.#settings.sharedFetchWaitMs ?? DEFAULT_SHARED_FETCH_WAIT_MS;
    const deadline = Date.now() + waitMs;
    let latest = candidate;
    for (;;) {
      if (await cache.claimFetch(url, this.#owner, 2 * waitMs)) {
        // Look again, also when the claim came at once: another instance may have fetched,
        // cached and released the document between our last look and our claim.
        let fresh: ResolvedDocument | undefined;
        try {
          latest = await this.#candidate(url);
          fresh = this.#freshOf(latest);
        } catch (error) {
          // Never keep the claim of a load that is not going on.
          await cache.releaseFetch(url, this.#owner).catch(() => undefined);
          throw error;
        }
        if (fresh === undefined) return { claimed: true, candidate: latest };
        await cache.releaseFetch(url, this.#owner);
        return fresh;
      }
      if (Date.now() >= deadline) return { claimed: false, candidate: latest };
      await new Promise((resolve) => setTimeout(resolve, SHARED_FETCH_POLL_MS));
      latest = await this.#candidate(url);
      const fresh = this.#freshOf(latest);
      if (fresh !== undefined) return fresh;
    }
  }

  async #load(url: string): Promise<ResolvedDocument> {
    const first = await this.#candidate(url);
    const fresh = this.#freshOf(first);
    this.#settings.emit({ type: 'cache.lookup', target: 'document', result: fresh ? 'hit' : 'miss' });
    if (fresh !== undefined) return fresh;
    const claim = await this.#claimOrAwait(url, first);
    if (!('claimed' in claim)) return claim;
    try {
      return await this.#fetchAndCache(url, claim.candidate);
    } finally {
      if (claim.claimed) await this.#settings.cache.releaseFetch(url, this.#owner);
    }
  }

  async #fetchAndCache(url: string, candidate: CacheEntry | undefined): Promise<ResolvedDocument> {
    const { cache, budget, emit } = this.#settings;
    const origin = new URL(url).origin;
    const purpose = this.#purposeOf(url, candidate);
    const grant = budget.acquire(origin, purpose);
    if (!grant.ok) {
      emit({ type: 'fetch.budget_refused', limit: grant.limit });
      // The host was just seen DOWN: keep serving the stale copy (within the window) rather than
      // turning every request during the outage into a budget refusal.
      if (candidate?.hostDownAt !== undefined && this.#withinStaleWindow(candidate)) {
        return { accepted: candidate.accepted, provenance: provenanceOf(candidate.record, true) };
      }
      throw new ClientResolutionError(
        'ERR_CIMD_FETCH_BUDGET',
        url,
        `the client metadata document at ${echoId(url)} was not fetched: ${budgetRefusal(grant, purpose)}; try again in ${Math.ceil(grant.retryAfterMs / 1000)} s`,
        { retryAfterMs: grant.retryAfterMs },
      );
    }

    let outcome: FetchOutcome = 'failure';
    let entry: CacheEntry | ResolvedDocument;
    try {
      entry = await this.#fetchEntry(url, candidate);
      if ('record' in entry) {
        outcome = 'success';
        this.#knownBad.delete(url);
      }
      // A 304 keeps the candidate's accepted document; a 200 is accepted anew.
      const notModified = 'record' in entry && entry.accepted === candidate?.accepted;
      emit({
        type: 'fetch.completed',
        target: 'document',
        outcome: !('record' in entry) ? 'stale' : notModified ? 'not_modified' : 'success',
      });
    } catch (error) {
      this.#rememberFailure(url, error);
      const code = failureCode(error);
      emit({
        type: 'fetch.completed',
        target: 'document',
        outcome: 'failure',
        ...(code === undefined ? {} : { code }),
      });
      throw error;
    } finally {
      grant.release(outcome);
    }
    if (!('record' in entry)) return entry;
    const ttl = entry.record.freshUntil - entry.record.fetchedAt;
    await cache.set(entry, this.#retentionMs(ttl));
    return { accepted: entry.accepted, provenance: provenanceOf(entry.record, false) };
  }

  /**
   * Fetches `url` (conditionally when `candidate` has validators) and validates what it serves:
   * the new cache entry, or the stale `candidate` as a resolved document when the host is down
   * and the stale window covers it. Throws a `ClientResolutionError` when the fetch or the
   * document fails.
   */
  async #fetchEntry(url: string, candidate: CacheEntry | undefined): Promise<CacheEntry | ResolvedDocument> {
    const { cache, now } = this.#settings;
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
    }

    const at = now();
    if (response.status === 304 && candidate !== undefined) {
      const headers = keepHeaders(mergeNotModifiedHeaders(candidate.record.headers, response.headers));
      const ttl = freshnessTtlMs(url, headers, this.#settings.bounds, at);
      return {
        record: { ...candidate.record, headers, fetchedAt: at, freshUntil: at + ttl },
        accepted: candidate.accepted,
      };
    }
    if (response.status === 304) {
      throw new ClientResolutionError(
        'ERR_CIMD_FETCH',
        url,
        `the client metadata document could not be fetched: ${echoId(url)} answered 304 Not Modified to a request for the document`,
        { status: 304 },
      );
    }
    let accepted: CachedDocument;
    try {
      accepted = await this.#settings.accept(response.json, url, response.byteLength);
    } catch (error) {
      await cache.delete(url);
      throw error;
    }
    const headers = keepHeaders(response.headers);
    const ttl = freshnessTtlMs(url, headers, this.#settings.bounds, at);
    return {
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
}
