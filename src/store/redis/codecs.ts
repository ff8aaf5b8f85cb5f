/**
 * How records are kept in Redis: as JSON (which drops absent optional fields, so they come back
 * absent), with a refresh family's re-bindable fields beside its JSON so a rotation can change
 * them in Lua without re-encoding the record.
 *
 * @module
 */
import type {
  ClientDocumentChanges,
  ClientDocumentRecord,
  ClientSummary,
  RefreshFamilyRecord,
} from '../store.js';

/** The family fields a rotation may re-bind, kept beside the family's JSON. */
const REBINDABLE = ['keyThumbprint', 'clientFingerprint'] as const;

/** The JSON of a family without its re-bindable fields, and those fields as (name, value) pairs. */
export function encodeFamily(family: RefreshFamilyRecord): { record: string; fields: string[] } {
  const { keyThumbprint, clientFingerprint, ...fixed } = family;
  return { record: JSON.stringify(fixed), fields: rebindableFields({ keyThumbprint, clientFingerprint }) };
}

/** The (name, value) pairs of the re-bindable fields that are present. */
export function rebindableFields(
  values: {
    [name in (typeof REBINDABLE)[number]]?: string | undefined;
  },
): string[] {
  return REBINDABLE.flatMap((name) => {
    const value = values[name];
    return value === undefined ? [] : [name, value];
  });
}

/** A family from a script's `[record, keyThumbprint, clientFingerprint]` answer. */
export function decodeFamily(row: unknown): RefreshFamilyRecord {
  const [record, keyThumbprint, clientFingerprint] = row as [string, string | null, string | null];
  const family = JSON.parse(record) as RefreshFamilyRecord;
  if (keyThumbprint !== null) family.keyThumbprint = keyThumbprint;
  if (clientFingerprint !== null) family.clientFingerprint = clientFingerprint;
  return family;
}

/** One document as kept in its client's hash (`clientId` is the hash's, `lastSeen` beside it). */
interface StoredDocument {
  fingerprint: string;
  firstSeen: number;
  clientName?: string;
  changes?: ClientDocumentChanges;
}

/** The JSON of a newly seen document. */
export function encodeDocument(
  record: Omit<ClientDocumentRecord, 'firstSeen' | 'lastSeen' | 'clientId'> & { seenAt: number },
): string {
  const stored: StoredDocument = { fingerprint: record.fingerprint, firstSeen: record.seenAt };
  if (record.clientName !== undefined) stored.clientName = record.clientName;
  if (record.changes !== undefined) stored.changes = record.changes;
  return JSON.stringify(stored);
}

/**
 * The documents of `clientId` from its hash (as HGETALL gives it: an object, or flat
 * `[field, value, ...]`), oldest `firstSeen` first (ties in the order they were recorded).
 */
export function decodeDocuments(clientId: string, hash: unknown): ClientDocumentRecord[] {
  const fields = toFieldMap(hash);
  const documents: { record: ClientDocumentRecord; sequence: number }[] = [];
  for (const [field, value] of fields) {
    if (!field.startsWith('doc:')) continue;
    const fingerprint = field.slice('doc:'.length);
    const stored = JSON.parse(value) as StoredDocument;
    const record: ClientDocumentRecord = {
      clientId,
      fingerprint,
      firstSeen: stored.firstSeen,
      lastSeen: Number(fields.get(`seen:${fingerprint}`)),
    };
    if (stored.clientName !== undefined) record.clientName = stored.clientName;
    if (stored.changes !== undefined) record.changes = stored.changes;
    documents.push({ record, sequence: Number(fields.get(`seq:${fingerprint}`)) });
  }
  documents.sort((a, b) => a.record.firstSeen - b.record.firstSeen || a.sequence - b.sequence);
  return documents.map((document) => document.record);
}

/** The summary of a client from its documents (oldest first, at least one). */
export function summarize(documents: readonly ClientDocumentRecord[]): ClientSummary {
  const newest = documents[documents.length - 1] as ClientDocumentRecord;
  const summary: ClientSummary = {
    clientId: newest.clientId,
    fingerprint: newest.fingerprint,
    firstSeen: Math.min(...documents.map((document) => document.firstSeen)),
    lastSeen: Math.max(...documents.map((document) => document.lastSeen)),
    documents: documents.length,
  };
  if (newest.clientName !== undefined) summary.clientName = newest.clientName;
  return summary;
}

/** A hash reply (an object or a flat field/value array) as a map. */
function toFieldMap(hash: unknown): Map<string, string> {
  if (Array.isArray(hash)) {
    const map = new Map<string, string>();
    for (let i = 0; i + 1 < hash.length; i += 2) map.set(String(hash[i]), String(hash[i + 1]));
    return map;
  }
  return new Map(Object.entries((hash ?? {}) as Record<string, string>));
}
