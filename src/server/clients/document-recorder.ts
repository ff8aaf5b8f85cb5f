/**
 * The history of client documents: each time a client resolves, its document's fingerprint is
 * recorded in the store (`recordClientDocument`), which says whether any instance saw that
 * (client, fingerprint) pair before. A new pair is reported as `client.first_seen` (the client's
 * first document) or `client.document_changed` (with the fields that changed and the keys added
 * and removed, by RFC 7638 thumbprint), plus `client.keys_changed` when its inline keys or its
 * `jwks_uri` changed.
 *
 * Repeated sightings of a known document only move its `lastSeen`, and each instance does that
 * at most once per `touchIntervalMs` per client, so cache hits cost no store round trip. What
 * changed is computed against the previous document this instance saw; after a restart, the
 * first change of a client is reported with the previous fingerprint from the store and empty
 * `fields` and key lists (the old document itself is not kept).
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import type { ClientMetadata } from '../../document/schema.js';
import type { ClientDocumentChanges, Store } from '../../store/store.js';
import type { EmitEvent } from '../events.js';
import { canonicalJson } from './fingerprint.js';
import { inlineKeyThumbprints } from './identity.js';
import type { ResolvedClient } from './types.js';

/** Default least time between two `lastSeen` updates of one client by one instance: 60 000 ms. */
export const DEFAULT_DOCUMENT_TOUCH_INTERVAL_MS = 60_000;

/** Clients whose last document one instance remembers. */
const MAX_REMEMBERED_CLIENTS = 10_000;

/** The part of the store the recorder uses. */
export type ClientDocumentStore = Pick<Store, 'recordClientDocument' | 'getClientDocuments'>;

/** Options of {@link createDocumentRecorder}. */
export interface DocumentRecorderOptions {
  store: ClientDocumentStore;
  emit: EmitEvent;
  now: () => number;
  /** Least time between two `lastSeen` updates of one client, in ms. Default 60 000. */
  touchIntervalMs?: number;
  /** Told when a store call fails (the resolution itself goes on). */
  onStoreError?: (error: unknown, operation: 'recordClientDocument') => void;
}

/** Records the documents of resolved clients; see the module documentation. */
export interface DocumentRecorder {
  /** Records `client`'s document (at most once per interval when unchanged). Never throws. */
  observe(client: ResolvedClient): Promise<void>;
}

interface Remembered {
  fingerprint: string;
  metadata: ClientMetadata;
  recordedAt: number;
}

/** The top-level members whose value differs between two documents, sorted. */
export function changedFields(before: ClientMetadata, after: ClientMetadata): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  const left = before as Record<string, unknown>;
  const right = after as Record<string, unknown>;
  return [...names].filter((name) => canonicalJson(left[name]) !== canonicalJson(right[name])).sort();
}

/** What changed from `before` (when known) to `after`, against `previousFingerprint`. */
export async function documentChanges(
  previousFingerprint: string,
  before: ClientMetadata | undefined,
  after: ClientMetadata,
): Promise<ClientDocumentChanges> {
  if (before === undefined) return { previousFingerprint, fields: [], keysAdded: [], keysRemoved: [] };
  const [old, now] = await Promise.all([inlineKeyThumbprints(before), inlineKeyThumbprints(after)]);
  return {
    previousFingerprint,
    fields: changedFields(before, after),
    keysAdded: [...now].filter((thumbprint) => !old.has(thumbprint)).sort(),
    keysRemoved: [...old].filter((thumbprint) => !now.has(thumbprint)).sort(),
  };
}

/** Creates the recorder. */
export function createDocumentRecorder(options: DocumentRecorderOptions): DocumentRecorder {
  const { store, emit, now } = options;
  const interval = options.touchIntervalMs ?? DEFAULT_DOCUMENT_TOUCH_INTERVAL_MS;
  const remembered = new LRUCache<string, Remembered>({ max: MAX_REMEMBERED_CLIENTS });
  const inFlight = new Map<string, Promise<void>>();

  /** The fingerprint the store last recorded as new for `clientId`, when it differs from `current`. */
  const storedPrevious = async (clientId: string, current: string): Promise<string | undefined> => {
    const history = await store.getClientDocuments(clientId);
    const latest = history.at(-1);
    return latest === undefined || latest.fingerprint === current ? undefined : latest.fingerprint;
  };

  const report = (client: ResolvedClient, changes: ClientDocumentChanges | undefined): void => {
    const source = client.provenance.source;
    const name = client.metadata.client_name;
    if (changes?.previousFingerprint === undefined) {
      emit({
        type: 'client.first_seen',
        clientId: client.clientId,
        source,
        fingerprint: client.fingerprint,
        ...(typeof name === 'string' && name !== '' ? { clientName: name } : {}),
      });
      return;
    }
    const common = {
      clientId: client.clientId,
      previousFingerprint: changes.previousFingerprint,
      fingerprint: client.fingerprint,
      keysAdded: changes.keysAdded,
      keysRemoved: changes.keysRemoved,
    };
    emit({ type: 'client.document_changed', source, fields: changes.fields, ...common });
    const jwksUriChanged = changes.fields.includes('jwks_uri');
    if (changes.keysAdded.length > 0 || changes.keysRemoved.length > 0 || jwksUriChanged) {
      emit({ type: 'client.keys_changed', ...common, ...(jwksUriChanged ? { jwksUriChanged } : {}) });
    }
  };

  const record = async (client: ResolvedClient, last: Remembered | undefined): Promise<void> => {
    const at = now();
    const previousFingerprint =
      last === undefined
        ? await storedPrevious(client.clientId, client.fingerprint)
        : last.fingerprint === client.fingerprint
          ? undefined
          : last.fingerprint;
    const changes =
      previousFingerprint === undefined
        ? undefined
        : await documentChanges(
            previousFingerprint,
            last?.fingerprint === previousFingerprint ? last.metadata : undefined,
            client.metadata,
          );
    const name = client.metadata.client_name;
    const isNew = await store.recordClientDocument({
      clientId: client.clientId,
      fingerprint: client.fingerprint,
      seenAt: at,
      ...(typeof name === 'string' && name !== '' ? { clientName: name } : {}),
      ...(changes === undefined ? {} : { changes }),
    });
    remembered.set(client.clientId, {
      fingerprint: client.fingerprint,
      metadata: client.metadata,
      recordedAt: at,
    });
    if (isNew) report(client, changes);
  };

  return {
    async observe(client) {
      const last = remembered.get(client.clientId);
      if (
        last !== undefined &&
        last.fingerprint === client.fingerprint &&
        now() - last.recordedAt < interval
      ) {
        return;
      }
      const pending = inFlight.get(client.clientId);
      if (pending !== undefined) return pending;
      const work = record(client, last)
        .catch((error: unknown) => options.onStoreError?.(error, 'recordClientDocument'))
        .finally(() => inFlight.delete(client.clientId));
      inFlight.set(client.clientId, work);
      return work;
    },
  };
}
