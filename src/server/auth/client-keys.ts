/**
 * Where a client's public keys come from: its document's inline `jwks`, or its `jwks_uri`
 * through the key-set cache, never both (PKJ-14). Key-loading failures become `invalid_client`
 * with a description that helps the client's developer and carries no internal detail.
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import { isCimdError } from '../../errors.js';
import { FetchError } from '../../fetch/index.js';
import type { ResolvedClient } from '../clients/types.js';
import { deepFreeze } from '../clients/validate-document.js';
import { InvalidClientError } from '../oauth-errors.js';
import type { JwksCache } from './jwks-cache.js';
import { buildKeySet, type ClientKeySet } from './key-set.js';

/** A client's key source. */
export interface ClientKeySource {
  /** `jwks` for an inline set, `jwks_uri` for a fetched one. */
  readonly kind: 'jwks' | 'jwks_uri';
  /**
   * The client's current key set.
   *
   * @throws InvalidClientError when the keys cannot be loaded or are refused.
   */
  current(): Promise<ClientKeySet>;
  /**
   * A newer key set after an assertion named an unknown `kid`, or `undefined` when there is
   * none to be had (an inline set, or the refetch cooldown has not passed).
   *
   * @throws InvalidClientError when the keys cannot be loaded or are refused.
   */
  refreshForUnknownKid(): Promise<ClientKeySet | undefined>;
}

/** Why a fetch failed, in words safe to send to the client. */
function fetchReason(error: FetchError): string {
  switch (error.code) {
    case 'ERR_FETCH_STATUS':
      return `the host answered HTTP ${error.status ?? 'with an error'}; serve the key set with 200 OK`;
    case 'ERR_FETCH_REDIRECT':
      return 'the host answered with a redirect, which is not followed; serve the key set at the jwks_uri itself';
    case 'ERR_FETCH_TOO_LARGE':
      return 'the key set is larger than this server accepts';
    case 'ERR_FETCH_TIMEOUT':
      return 'the host did not answer in time';
    case 'ERR_FETCH_CONTENT_TYPE':
      return 'the response is not JSON; serve it as application/json or application/jwk-set+json';
    case 'ERR_FETCH_INVALID_JSON':
      return 'the response is not valid JSON';
    case 'ERR_FETCH_INVALID_URL':
      return 'the jwks_uri is not a usable https URL';
    case 'ERR_SSRF_BLOCKED':
      return 'the jwks_uri does not lead to a public internet address';
    case 'ERR_FETCH_NETWORK':
      return 'the host could not be reached';
  }
}

/** A `jwks_uri` load failure as `invalid_client`; rethrows what is not a key problem. */
function remoteKeyFailure(error: unknown): never {
  const prefix = "could not load the client's keys from its jwks_uri";
  if (error instanceof FetchError) {
    throw new InvalidClientError(`${prefix}: ${fetchReason(error)}`, { cause: error });
  }
  if (isCimdError(error, 'ERR_CLIENT_KEYS')) {
    throw new InvalidClientError(`${prefix}: ${error.message}`, { cause: error });
  }
  throw error;
}

/** Inline key sets by the identity of the `jwks` object (a client resolved from a cache). */
const inlineSets = new WeakMap<object, ClientKeySet>();

/** The most inline key sets kept by content, and their total key size (UTF-16 units). */
const MAX_INLINE_SETS = 1_000;
const MAX_INLINE_SET_CHARS = 4 * 1024 * 1024;

/**
 * Inline key sets by content: the set's JSON, the very text the set is built from, so a changed
 * set (same `kid`, new key material, ...) is never served an older set. This keeps jose's
 * imported keys and the lint verdict across requests when the client's metadata is a new object
 * each time (a store record read afresh). Bounded (LRU); refused sets are not cached.
 */
const inlineSetsByJson = new LRUCache<string, ClientKeySet>({
  max: MAX_INLINE_SETS,
  maxSize: MAX_INLINE_SET_CHARS,
  sizeCalculation: (_set, key) => Math.max(1, key.length),
});

function buildInlineKeySet(jwks: unknown): ClientKeySet {
  try {
    return buildKeySet(jwks, "the client's inline jwks");
  } catch (error) {
    if (isCimdError(error, 'ERR_CLIENT_KEYS')) throw new InvalidClientError(error.message, { cause: error });
    throw error;
  }
}

function inlineKeySet(jwks: object): ClientKeySet {
  let set = inlineSets.get(jwks);
  if (set !== undefined) return set;
  const json = JSON.stringify(jwks);
  set = inlineSetsByJson.get(json);
  if (set === undefined) {
    set = buildInlineKeySet(deepFreeze(JSON.parse(json)));
    if (json.length <= MAX_INLINE_SET_CHARS) inlineSetsByJson.set(json, set);
  }
  inlineSets.set(jwks, set);
  return set;
}

/**
 * The key source of `client`: its inline `jwks`, or its `jwks_uri` through `cache`.
 *
 * @throws InvalidClientError when the document has both `jwks` and `jwks_uri` (PKJ-14) or
 *   neither.
 */
export function clientKeySource(client: ResolvedClient, cache: JwksCache): ClientKeySource {
  const { jwks, jwks_uri: jwksUri } = client.metadata;
  if (jwks !== undefined && jwksUri !== undefined) {
    throw new InvalidClientError(
      "the client's metadata has both jwks and jwks_uri; publish the keys in exactly one of them",
    );
  }
  if (jwks !== undefined) {
    return {
      kind: 'jwks',
      current: async () => inlineKeySet(jwks),
      refreshForUnknownKid: async () => undefined,
    };
  }
  if (typeof jwksUri === 'string' && jwksUri !== '') {
    return {
      kind: 'jwks_uri',
      current: () => cache.get(jwksUri, client.clientId).then((entry) => entry.keySet, remoteKeyFailure),
      refreshForUnknownKid: () =>
        cache.refreshForUnknownKid(jwksUri, client.clientId).then((entry) => entry?.keySet, remoteKeyFailure),
    };
  }
  throw new InvalidClientError(
    "the client's metadata publishes no keys; add jwks or jwks_uri to use private_key_jwt",
  );
}
