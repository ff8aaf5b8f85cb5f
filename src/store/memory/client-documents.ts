/**
 * The client document history of the memory store: which document fingerprints each client has
 * had and when they were seen, bounded so a flood of clients or documents cannot exhaust memory.
 *
 * @module
 */
import { compareStrings } from '../paging.js';
import type { ClientDocumentRecord, ClientSummary } from '../store.js';

/** The default of {@link ClientDocumentBounds.maxClients}. */
export const DEFAULT_MAX_DOCUMENT_CLIENTS = 100_000;
/** The default of {@link ClientDocumentBounds.maxDocumentsPerClient}. */
export const DEFAULT_MAX_DOCUMENTS_PER_CLIENT = 100;

/** How much document history the memory store keeps. */
export interface ClientDocumentBounds {
  /**
   * The most clients whose history is kept; beyond it the client recorded least recently is
   * forgotten whole. Default 100 000.
   */
  maxClients: number;
  /**
   * The most fingerprints kept per client; beyond it the one first seen earliest is forgotten
   * (seen again, it counts as new). Default 100.
   */
  maxDocumentsPerClient: number;
}

interface ClientEntry {
  /** The client's documents by fingerprint. */
  documents: Map<string, ClientDocumentRecord>;
  /** The latest `lastSeen` of any of its documents. */
  lastSeen: number;
}

/** The input of `Store.recordClientDocument`. */
export type ClientDocumentSighting = Omit<ClientDocumentRecord, 'firstSeen' | 'lastSeen'> & {
  seenAt: number;
};

/** Orders documents oldest `firstSeen` first; equal times by fingerprint. */
function byFirstSeen(a: ClientDocumentRecord, b: ClientDocumentRecord): number {
  if (a.firstSeen !== b.firstSeen) return a.firstSeen - b.firstSeen;
  return compareStrings(a.fingerprint, b.fingerprint);
}

/** Client document history held in memory. Every method is synchronous, hence atomic. */
export class MemoryClientDocuments {
  readonly #bounds: ClientDocumentBounds;
  /** Clients in the order they were last recorded (Map order), least recent first. */
  readonly #clients = new Map<string, ClientEntry>();

  constructor(bounds: ClientDocumentBounds) {
    this.#bounds = bounds;
  }

  /** See `Store.recordClientDocument`. */
  record(sighting: ClientDocumentSighting): boolean {
    const { seenAt } = sighting;
    let entry = this.#clients.get(sighting.clientId);
    if (entry === undefined) entry = { documents: new Map(), lastSeen: seenAt };
    this.#clients.delete(sighting.clientId);
    this.#clients.set(sighting.clientId, entry);
    entry.lastSeen = Math.max(entry.lastSeen, seenAt);

    const known = entry.documents.get(sighting.fingerprint);
    if (known !== undefined) {
      known.lastSeen = Math.max(known.lastSeen, seenAt);
      return false;
    }
    const record: ClientDocumentRecord = {
      clientId: sighting.clientId,
      fingerprint: sighting.fingerprint,
      firstSeen: seenAt,
      lastSeen: seenAt,
    };
    if (sighting.clientName !== undefined) record.clientName = sighting.clientName;
    if (sighting.changes !== undefined) record.changes = structuredClone(sighting.changes);
    entry.documents.set(sighting.fingerprint, record);
    this.#trim(entry);
    return true;
  }

  /** See `Store.getClientDocuments`. */
  get(clientId: string): ClientDocumentRecord[] {
    const entry = this.#clients.get(clientId);
    if (entry === undefined) return [];
    return [...entry.documents.values()].sort(byFirstSeen).map((record) => structuredClone(record));
  }

  /**
   * See `Store.listClientDocuments`: clients most recently seen first (equal times by client
   * id), `offset` skipped, at most `limit` returned.
   */
  list(limit: number, offset: number): ClientSummary[] {
    const clients = [...this.#clients.entries()].sort(([idA, a], [idB, b]) => {
      if (a.lastSeen !== b.lastSeen) return b.lastSeen - a.lastSeen;
      return compareStrings(idA, idB);
    });
    return clients.slice(offset, offset + limit).map(([clientId, entry]) => summarize(clientId, entry));
  }

  /** Forgets everything. */
  clear(): void {
    this.#clients.clear();
  }

  /** Drops the oldest documents of `entry`, and the least recently recorded clients, beyond the bounds. */
  #trim(entry: ClientEntry): void {
    if (entry.documents.size > this.#bounds.maxDocumentsPerClient) {
      const oldest = [...entry.documents.values()].sort(byFirstSeen);
      for (const record of oldest.slice(0, oldest.length - this.#bounds.maxDocumentsPerClient)) {
        entry.documents.delete(record.fingerprint);
      }
    }
    while (this.#clients.size > this.#bounds.maxClients) {
      const leastRecent = this.#clients.keys().next().value as string;
      this.#clients.delete(leastRecent);
    }
  }
}

/** The listing row of one client. */
function summarize(clientId: string, entry: ClientEntry): ClientSummary {
  const documents = [...entry.documents.values()].sort(byFirstSeen);
  const newest = documents[documents.length - 1] as ClientDocumentRecord;
  const summary: ClientSummary = {
    clientId,
    fingerprint: newest.fingerprint,
    firstSeen: (documents[0] as ClientDocumentRecord).firstSeen,
    lastSeen: entry.lastSeen,
    documents: documents.length,
  };
  if (newest.clientName !== undefined) summary.clientName = newest.clientName;
  return summary;
}
