/**
 * Registered (DCR or static) clients as the registry uses them: their stored metadata parsed,
 * checked, frozen and fingerprinted once per version of the record (a bounded LRU).
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import { type ClientMetadata, clientMetadataSchema } from '../../document/schema.js';
import type { RegisteredClientRecord } from '../../store/store.js';
import { clientNotFoundError, echoId } from './errors.js';
import { fingerprintClientMetadata } from './fingerprint.js';
import type { ResolvedClient } from './types.js';
import { deepFreeze, SUPPORTED_GRANT_TYPES } from './validate-document.js';

/** A registered client's metadata as the registry uses it: parsed, frozen, fingerprinted. */
export interface RegisteredClientView {
  readonly metadata: ClientMetadata;
  readonly authMethod: 'none' | 'private_key_jwt';
  readonly grantTypes: ResolvedClient['grantTypes'];
  readonly fingerprint: string;
}

/** The most registered-client views kept, and their total key size (UTF-16 units). */
const MAX_REGISTERED_VIEWS = 1_000;
const MAX_REGISTERED_VIEW_CHARS = 4 * 1024 * 1024;

/**
 * A registered client's metadata, typed; throws when the record cannot be used. `json` is the
 * record's metadata as JSON: what is parsed, so the result depends on that text alone.
 */
function registeredMetadata(
  clientId: string,
  json: string,
): {
  metadata: ClientMetadata;
  authMethod: 'none' | 'private_key_jwt';
} {
  const raw = JSON.parse(json) as Record<string, unknown>;
  const name = raw.client_name;
  const candidate = { ...raw, client_id: clientId, client_name: typeof name === 'string' ? name : '' };
  const parsed = clientMetadataSchema.safeParse(candidate);
  const method = raw.token_endpoint_auth_method ?? 'none';
  if (!parsed.success || (method !== 'none' && method !== 'private_key_jwt')) {
    const why = parsed.success
      ? `its token_endpoint_auth_method ${JSON.stringify(method)} is not supported (use "none" or "private_key_jwt")`
      : 'its registered metadata is malformed';
    throw clientNotFoundError(clientId, `the registered client ${echoId(clientId)} cannot be used: ${why}`);
  }
  return { metadata: parsed.data, authMethod: method };
}

/**
 * Parses, freezes and fingerprints registered clients' metadata once per version. Stores hand
 * out a fresh copy of a record on every `getClient`; re-validating and re-hashing it on every
 * token request, and rebuilding the client's key set from a new `jwks` object each time, was
 * most of a `private_key_jwt` request's overhead. The cache key is the client id and the
 * record's metadata as JSON, the very text that is parsed, so a changed record (new keys, new
 * redirect URIs, ...) is never served an older view. Bounded (LRU); failures are not cached.
 */
export function createRegisteredViews(): (record: RegisteredClientRecord) => Promise<RegisteredClientView> {
  const views = new LRUCache<string, RegisteredClientView>({
    max: MAX_REGISTERED_VIEWS,
    maxSize: MAX_REGISTERED_VIEW_CHARS,
    sizeCalculation: (_view, key) => Math.max(1, key.length),
  });
  // The record objects the registry reuses for a moment (see `registered-records.ts`) find their
  // view without serializing the metadata again; the registry never changes a record it holds.
  const byRecord = new WeakMap<RegisteredClientRecord, RegisteredClientView>();
  return async (record) => {
    const known = byRecord.get(record);
    if (known !== undefined) return known;
    const json = JSON.stringify(record.metadata ?? null);
    const key = `${record.clientId}\n${json}`;
    const cached = views.get(key);
    if (cached !== undefined) {
      byRecord.set(record, cached);
      return cached;
    }
    const { metadata, authMethod } = registeredMetadata(record.clientId, json);
    const listed = metadata.grant_types ?? ['authorization_code'];
    const fingerprint = await fingerprintClientMetadata({
      ...metadata,
      token_endpoint_auth_method: authMethod,
    });
    const view: RegisteredClientView = {
      metadata: deepFreeze(metadata),
      authMethod,
      grantTypes: Object.freeze(SUPPORTED_GRANT_TYPES.filter((grant) => listed.includes(grant))),
      fingerprint,
    };
    if (key.length <= MAX_REGISTERED_VIEW_CHARS) views.set(key, view);
    byRecord.set(record, view);
    return view;
  };
}
