/**
 * The client registry of the authorization server: a `client_id` to a validated client. A URL
 * `client_id` goes to the CIMD resolver (URL rules, trust policy, caches, SSRF-safe fetch,
 * validation, trust policy again); anything else to the clients registered in the store.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import { DEFAULT_TIMEOUT_MS } from '../../fetch/limits.js';
import { createSafeFetcher } from '../../fetch/safe-fetch.js';
import type { SafeFetcher, SafeFetchOptions } from '../../fetch/types.js';
import type { Store } from '../../store/store.js';
import type { CacheBounds } from '../cache/http-freshness.js';
import type { EmitEvent } from '../events.js';
import { CimdResolver } from './cimd-resolver.js';
import { isUrlClientId } from './client-id.js';
import { assertCimdClientIdUrl } from './client-id-url-check.js';
import {
  DocumentCache,
  type DocumentCacheOptions,
  resolveDocumentCacheOptions,
  type StoreErrorListener,
} from './document-cache.js';
import { createDocumentRecorder, type DocumentRecorder } from './document-recorder.js';
import { ClientResolutionError, clientNotFoundError, echoId, policyDeniedError } from './errors.js';
import { createFetchBudget, type FetchBudgetOptions } from './fetch-budget.js';
import { createLoopbackHttpFetcher } from './loopback-http-fetcher.js';
import { createRegisteredViews } from './registered-client-views.js';
import { createRegisteredRecordReader, DEFAULT_REGISTERED_CLIENT_TTL_MS } from './registered-records.js';
import {
  checkBoolean,
  checkBounds,
  checkFunction,
  checkMilliseconds,
  checkStore,
} from './registry-option-checks.js';
import {
  createTrustPolicy,
  isTrustPolicy,
  type TrustPolicy,
  type TrustPolicyOptions,
} from './trust-policy.js';
import type { ResolvedClient } from './types.js';
import { acceptClientMetadataDocument } from './validate-document.js';

/** What the default shared-fetch wait adds to the fetch deadline, in ms. */
const SHARED_FETCH_MARGIN_MS = 2_000;

/** Options of the fetcher the registry creates when none is given. */
export type RegistryFetchOptions = Pick<
  SafeFetchOptions,
  'timeoutMs' | 'resolver' | 'userAgent' | 'ca' | 'proxy'
>;

/** Options of {@link createClientRegistry}; all are validated at once (`InvalidOptionError`). */
export interface ClientRegistryOptions {
  /**
   * The store: registered (DCR or static) clients come from `getClient`, and fetched documents
   * are shared with other instances through `cacheGet`/`cacheSet` (see `cache.shared`).
   * Default: none (only URL `client_id`s resolve, and the cache is per process).
   */
  store?: Store;
  /** The trust policy, or its options. Default: an open policy (any valid client; none trusted). */
  trustPolicy?: TrustPolicy | TrustPolicyOptions;
  /**
   * Accept CIMD clients. Default `true`. `false` (`cimd serve --no-cimd`): a URL `client_id` is
   * refused (`ERR_CIMD_POLICY_DENIED`) before any check or fetch; registered clients still resolve.
   */
  acceptCimd?: boolean;
  /**
   * LOUD opt-in, default `false`: accept `client_id`s and `jwks_uri`s on IP literals and non-public
   * host names (CIMD-URL-09, CIMD-LINT-08), and let the registry's own fetcher connect to
   * special-purpose addresses. Local development and tests only.
   */
  allowPrivateNetwork?: boolean;
  /**
   * LOUD development opt-in, default `false`: also treat `http://127.0.0.1[:port]/...`,
   * `http://[::1][:port]/...` and `http://localhost[:port]/...` `client_id`s as CIMD and fetch
   * them over plain http from loopback. Never on a server reachable by others. Without it an
   * `http://` `client_id` is looked up among registered clients (and is normally not found).
   */
  dangerouslyAllowHttpClientIds?: boolean;
  /**
   * What to do with a document without `token_endpoint_auth_method` (RFC 7591 defaults it to
   * `client_secret_basic`, which CIMD forbids): `reject` (default) refuses it with a clear
   * message; `none` treats the client as public.
   */
  missingAuthMethod?: 'reject' | 'none';
  /**
   * Bounds of a document's cache lifetime, in ms: the RFC 9111 lifetime the host sends is clamped
   * to `[minTtlMs, maxTtlMs]`; `no-store`, `no-cache` or no lifetime mean `minTtlMs`.
   * Default `{ minTtlMs: 60_000, maxTtlMs: 86_400_000 }` (60 s .. 24 h).
   */
  cacheBounds?: Partial<CacheBounds>;
  /** The cache tiers: `{ maxEntries: 10_000, maxBytes: 32 MiB, shared: true, keyPrefix: 'cimd:doc:' }` by default. */
  cache?: DocumentCacheOptions;
  /**
   * The per-origin fetch budget: `{ requestsPerMinute: 60, failuresPerMinute: 30, maxConcurrent: 4,
   * maxOrigins: 10_000 }` by default. Failed fetches of URLs that never served an accepted
   * document count against `failuresPerMinute` instead of `requestsPerMinute`, so requests for
   * made-up paths on a host cannot spend the budget of its real clients (see `FetchBudgetOptions`).
   */
  fetchBudget?: FetchBudgetOptions;
  /**
   * How long past its freshness a previously valid document may still be used while its host is
   * DOWN (network error, timeout, 5xx), in ms; such a client has `provenance.stale: true`. Never
   * used when the host answers 4xx, a redirect or an invalid document. Each stale use asks the
   * host again; once it was seen down, a spent fetch budget serves the stale copy too (within the
   * window). Default 0: fail closed.
   */
  serveStaleOnErrorMs?: number;
  /**
   * With a shared store, how long an instance waits for another one to finish fetching a
   * document before fetching it itself, in ms (at most one fetch per URL across instances).
   * Default: the fetch deadline plus 2 000 (7 000 with the default 5 s deadline), so a peer's fetch
   * that is still within its deadline is waited for.
   */
  sharedFetchWaitMs?: number;
  /**
   * The fetcher for documents. Default: one the registry creates (and closes) with
   * `allowPrivateNetwork` and {@link fetchOptions}. An injected fetcher keeps its own settings and
   * is not closed by {@link ClientRegistry.close}.
   */
  fetcher?: SafeFetcher;
  /** Options of the fetcher the registry creates (deadline, resolver, user agent, extra CAs). Not with `fetcher`. */
  fetchOptions?: RegistryFetchOptions;
  /**
   * How long a registered client's store record is reused before it is read again, in ms: a
   * record replaced with `Store.saveClient` is in use within this time (absent clients are never
   * remembered). 0 reads the store on every resolution. Default 1000.
   */
  registeredClientTtlMs?: number;
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Told when a shared-cache store operation fails (the registry carries on without the shared tier). */
  onStoreError?: StoreErrorListener;
  /**
   * Receives the registry's events: document cache lookups, fetches and budget refusals, and
   * the client document history (`client.first_seen`, `client.document_changed`,
   * `client.keys_changed`; see `createDocumentRecorder`). The history is recorded in the store
   * (`recordClientDocument`) whenever the store implements it. Default: none.
   */
  emit?: EmitEvent;
}

/** Resolves `client_id`s; see {@link createClientRegistry}. */
export interface ClientRegistry {
  /**
   * The validated client for `clientId`, with provenance, fingerprint and trust decision. Rejects
   * with a `ClientResolutionError` (stable `code`, message safe to show) when it cannot be used;
   * map it with `toOAuthError`. A trust-policy hook's own error is passed through.
   */
  resolveClient(clientId: string): Promise<ResolvedClient>;
  /** Forgets the cached document of a URL `client_id` in both tiers (e.g. after an admin action). */
  invalidate(clientId: string): Promise<void>;
  /**
   * Forgets this instance's in-process copy of `clientId`'s document, or of every document
   * without an argument, leaving the shared tier as it is (another instance purged it; see
   * `watchCachePurges`). Returns the `jwks_uri` the forgotten document named, if any.
   */
  forgetInProcess(clientId?: string): string | undefined;
  /** The trust policy in use; `update` it to change decisions at once, cache hits included. */
  readonly trustPolicy: TrustPolicy;
  /** Closes the fetchers the registry created and empties its in-process cache. Later resolutions fail. */
  close(): Promise<void>;
}

/**
 * Creates the client registry. Options are validated at once; see {@link ClientRegistryOptions}
 * for each default.
 *
 * `resolveClient(clientId)`:
 * - `https://...` (and, with `dangerouslyAllowHttpClientIds`, an `http` loopback URL): the CIMD
 *   URL rules (`ERR_CIMD_INVALID_CLIENT_ID`, nothing fetched), the trust policy on the id
 *   (`ERR_CIMD_POLICY_DENIED`, nothing fetched), the document (fresh in-process copy, else one
 *   shared load per URL: the shared tier, then a fetch within the per-origin budget), its
 *   validation, then the trust policy with the metadata. The policy runs on every resolution,
 *   cache hits included.
 * - anything else: `store.getClient`, else `ERR_CLIENT_NOT_FOUND`; deny and trusted entries that
 *   are exact client ids apply.
 */
export function createClientRegistry(options: ClientRegistryOptions = {}): ClientRegistry {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('the options of createClientRegistry must be an object');
  }
  const store = checkStore(options.store);
  const allowPrivateNetwork = checkBoolean(options.allowPrivateNetwork, 'allowPrivateNetwork');
  const allowHttp = checkBoolean(options.dangerouslyAllowHttpClientIds, 'dangerouslyAllowHttpClientIds');
  const missingAuthMethod = options.missingAuthMethod ?? 'reject';
  if (missingAuthMethod !== 'reject' && missingAuthMethod !== 'none') {
    throw new InvalidOptionError(
      `missingAuthMethod must be "reject" or "none"; got ${JSON.stringify(missingAuthMethod)}`,
    );
  }
  const bounds = checkBounds(options.cacheBounds);
  const acceptCimd = options.acceptCimd === undefined ? true : checkBoolean(options.acceptCimd, 'acceptCimd');
  const serveStaleOnErrorMs = checkMilliseconds(options.serveStaleOnErrorMs, 'serveStaleOnErrorMs');
  checkFunction(options.now, 'now');
  checkFunction(options.onStoreError, 'onStoreError');
  const now = options.now ?? Date.now;
  const cacheOptions = resolveDocumentCacheOptions(options.cache);
  const budget = createFetchBudget(options.fetchBudget ?? {}, now);
  const trustPolicy = isTrustPolicy(options.trustPolicy)
    ? options.trustPolicy
    : createTrustPolicy(options.trustPolicy ?? {});
  if (options.fetcher !== undefined && options.fetchOptions !== undefined) {
    throw new InvalidOptionError('pass either fetcher or fetchOptions, not both');
  }
  if (
    options.fetcher !== undefined &&
    (typeof options.fetcher !== 'object' ||
      options.fetcher === null ||
      typeof options.fetcher.fetch !== 'function')
  ) {
    throw new InvalidOptionError('fetcher must be a SafeFetcher (see createSafeFetcher)');
  }
  const ownFetcher =
    options.fetcher === undefined
      ? createSafeFetcher({ ...options.fetchOptions, allowPrivateNetwork })
      : undefined;
  const fetcher = options.fetcher ?? (ownFetcher as SafeFetcher);
  const timeout = options.fetchOptions?.timeoutMs;
  const httpFetcher = allowHttp
    ? createLoopbackHttpFetcher(timeout === undefined ? {} : { timeoutMs: timeout })
    : undefined;
  const cache = new DocumentCache(cacheOptions, store, options.onStoreError);
  checkFunction(options.emit, 'emit');
  const emit: EmitEvent = options.emit ?? (() => {});
  const recorder: DocumentRecorder | undefined =
    typeof store?.recordClientDocument === 'function' && typeof store.getClientDocuments === 'function'
      ? createDocumentRecorder({
          store,
          emit,
          now,
          ...(options.onStoreError === undefined ? {} : { onStoreError: options.onStoreError }),
        })
      : undefined;

  const resolver = new CimdResolver({
    fetcher,
    ...(httpFetcher === undefined ? {} : { httpFetcher }),
    cache,
    budget,
    bounds,
    serveStaleOnErrorMs,
    sharedFetchWaitMs:
      options.sharedFetchWaitMs === undefined
        ? (timeout ?? DEFAULT_TIMEOUT_MS) + SHARED_FETCH_MARGIN_MS
        : checkMilliseconds(options.sharedFetchWaitMs, 'sharedFetchWaitMs'),
    now,
    emit,
    accept: async (json, url, byteLength) => {
      // The cache keeps no lint notes: nothing reads them once the document is accepted.
      const { notes: _notes, ...accepted } = await acceptClientMetadataDocument(json, {
        url,
        byteLength,
        allowPrivateNetwork,
        missingAuthMethod,
        httpLoopbackClientId: url.startsWith('http:'),
      });
      return accepted;
    },
  });
  const registeredView = createRegisteredViews();
  const registeredTtlMs =
    options.registeredClientTtlMs === undefined
      ? DEFAULT_REGISTERED_CLIENT_TTL_MS
      : checkMilliseconds(options.registeredClientTtlMs, 'registeredClientTtlMs');
  const readRecord =
    store === undefined ? undefined : createRegisteredRecordReader(store, registeredTtlMs, now);
  let closed = false;

  const isCimd = (clientId: string): boolean =>
    isUrlClientId(clientId) || (allowHttp && /^http:\/\//i.test(clientId));

  const resolveCimd = async (clientId: string): Promise<ResolvedClient> => {
    if (!acceptCimd) {
      throw policyDeniedError(clientId, {
        allowed: false,
        trusted: false,
        reason:
          'this server does not accept client metadata documents (CIMD is turned off): use a client registered with this server',
      });
    }
    // A URL with a document in the in-process cache passed these same checks (they depend on the
    // URL and this registry's options only) before it was fetched: they are not run again.
    if (!resolver.isCached(clientId)) assertCimdClientIdUrl(clientId, allowPrivateNetwork);
    const early = await trustPolicy.checkClientId(clientId, 'cimd');
    if (!early.allowed) throw policyDeniedError(clientId, early);
    const { accepted, provenance } = await resolver.resolve(clientId);
    const decision = await trustPolicy.checkMetadata(clientId, accepted.metadata, 'cimd', early);
    if (!decision.allowed) throw policyDeniedError(clientId, decision);
    return {
      clientId,
      metadata: accepted.metadata,
      authMethod: accepted.authMethod,
      redirectUris: accepted.redirectUris,
      grantTypes: accepted.grantTypes,
      provenance,
      fingerprint: accepted.fingerprint,
      trust: decision,
    };
  };

  const resolveRegistered = async (clientId: string): Promise<ResolvedClient> => {
    const record = readRecord === undefined ? undefined : await readRecord(clientId);
    if (record === undefined) {
      const hint = /^http:\/\//i.test(clientId)
        ? '; a client_id URL must use https'
        : '; register the client or use its client metadata document URL';
      throw clientNotFoundError(
        clientId,
        `the client ${echoId(clientId)} is not registered with this server${hint}`,
      );
    }
    const early = await trustPolicy.checkClientId(clientId, 'registered');
    if (!early.allowed) throw policyDeniedError(clientId, early);
    const { metadata, authMethod, grantTypes, fingerprint } = await registeredView(record);
    const decision = await trustPolicy.checkMetadata(clientId, metadata, 'registered', early);
    if (!decision.allowed) throw policyDeniedError(clientId, decision);
    return {
      clientId,
      metadata,
      authMethod,
      redirectUris: metadata.redirect_uris,
      grantTypes,
      provenance: { source: 'registered' },
      fingerprint,
      trust: decision,
    };
  };

  return {
    trustPolicy,
    resolveClient: async (clientId) => {
      if (typeof clientId !== 'string' || clientId === '') {
        throw clientNotFoundError(
          String(clientId ?? ''),
          'the request has no client_id; send the client_id parameter',
        );
      }
      if (closed) {
        throw new ClientResolutionError('ERR_CIMD_FETCH', clientId, 'the client registry is closed');
      }
      const client = await (isCimd(clientId) ? resolveCimd(clientId) : resolveRegistered(clientId));
      await recorder?.observe(client);
      return client;
    },
    invalidate: async (clientId) => {
      if (isCimd(clientId)) await resolver.invalidate(clientId);
    },
    forgetInProcess: (clientId) => {
      if (clientId !== undefined) return cache.forget(clientId)?.accepted.metadata.jwks_uri;
      cache.clear();
      return undefined;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      cache.clear();
      await Promise.all([ownFetcher?.close(), httpFetcher?.close()]);
    },
  };
}
