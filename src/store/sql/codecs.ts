/**
 * Conversions between store records and table rows: nested values to and from JSON text,
 * optional fields to and from NULL, and numbers read back with `Number()` (PostgreSQL drivers
 * return `bigint` columns as strings).
 *
 * @module
 */
import type {
  AuthorizationCodeRecord,
  ClientDocumentChanges,
  ClientDocumentRecord,
  ClientSummary,
  ConsentedClientIdentity,
  ConsentRecord,
  RefreshFamilyRecord,
  RegisteredClientRecord,
} from '../store.js';
import type {
  ClientDocumentTable,
  ClientTable,
  CodeTable,
  ConsentTable,
  RefreshFamilyTable,
} from './tables.js';

/** Parses JSON text this store wrote. */
function parse<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** JSON text for an optional object, or null. */
function optionalJson(value: Record<string, unknown> | undefined): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** The columns of a code row that come from its record. */
export type CodeColumns = Omit<CodeTable, 'code_hash' | 'expires_at' | 'consumed_at'>;

/** A code record as columns. */
export function encodeCode(record: AuthorizationCodeRecord): CodeColumns {
  return {
    grant_id: record.grantId,
    client_id: record.clientId,
    user_id: record.userId,
    redirect_uri: record.redirectUri,
    code_challenge: record.codeChallenge,
    resources: JSON.stringify(record.resources),
    scope: record.scope,
    client_fingerprint: record.clientFingerprint ?? null,
    auth_time: record.authTime,
    extra: optionalJson(record.extra),
  };
}

/** A code row as its record. */
export function decodeCode(row: CodeColumns): AuthorizationCodeRecord {
  const record: AuthorizationCodeRecord = {
    grantId: row.grant_id,
    clientId: row.client_id,
    userId: row.user_id,
    redirectUri: row.redirect_uri,
    codeChallenge: row.code_challenge,
    resources: parse<string[]>(row.resources),
    scope: row.scope,
    authTime: Number(row.auth_time),
  };
  if (row.client_fingerprint !== null) record.clientFingerprint = row.client_fingerprint;
  if (row.extra !== null) record.extra = parse<Record<string, unknown>>(row.extra);
  return record;
}

/** The columns of a family row that come from its record. */
export type FamilyColumns = Omit<RefreshFamilyTable, 'revoked_at'>;

/** A family record as columns. */
export function encodeFamily(family: RefreshFamilyRecord): FamilyColumns {
  return {
    family_id: family.familyId,
    grant_id: family.grantId,
    client_id: family.clientId,
    user_id: family.userId,
    scope: family.scope,
    resources: JSON.stringify(family.resources),
    auth_method: family.authMethod,
    key_thumbprint: family.keyThumbprint ?? null,
    client_fingerprint: family.clientFingerprint ?? null,
    created_at: family.createdAt,
    expires_at: family.expiresAt,
    extra: optionalJson(family.extra),
  };
}

/** A family row as its record. */
export function decodeFamily(row: FamilyColumns): RefreshFamilyRecord {
  const family: RefreshFamilyRecord = {
    familyId: row.family_id,
    grantId: row.grant_id,
    clientId: row.client_id,
    userId: row.user_id,
    scope: row.scope,
    resources: parse<string[]>(row.resources),
    authMethod: row.auth_method,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
  if (row.key_thumbprint !== null) family.keyThumbprint = row.key_thumbprint;
  if (row.client_fingerprint !== null) family.clientFingerprint = row.client_fingerprint;
  if (row.extra !== null) family.extra = parse<Record<string, unknown>>(row.extra);
  return family;
}

/** A client record as a row. */
export function encodeClient(client: RegisteredClientRecord): ClientTable {
  return {
    client_id: client.clientId,
    metadata: JSON.stringify(client.metadata),
    created_at: client.createdAt,
  };
}

/** A client row as its record. */
export function decodeClient(row: ClientTable): RegisteredClientRecord {
  return {
    clientId: row.client_id,
    metadata: parse<Record<string, unknown>>(row.metadata),
    createdAt: Number(row.created_at),
  };
}

/** A consent record as a row. */
/**
 * A consent as a row; `client_identity` (with the fingerprint it belongs to) only when the
 * consent has one, so that a consent without it can still be saved in a database not yet
 * migrated to version 3.
 */
export function encodeConsent(consent: ConsentRecord): ConsentRow {
  return {
    user_id: consent.userId,
    client_id: consent.clientId,
    scopes: JSON.stringify(consent.scopes),
    resources: JSON.stringify(consent.resources),
    client_fingerprint: consent.clientFingerprint,
    granted_at: consent.grantedAt,
    expires_at: consent.expiresAt,
    ...(consent.clientIdentity === undefined
      ? {}
      : {
          client_identity: JSON.stringify({
            fingerprint: consent.clientFingerprint,
            identity: consent.clientIdentity,
          }),
        }),
  };
}

/** The columns {@link encodeConsent} writes. */
export type ConsentRow = Omit<ConsentTable, 'client_identity'> & { client_identity?: string };

/** A consent row as its record. */
export function decodeConsent(row: ConsentTable): ConsentRecord {
  const consent: ConsentRecord = {
    userId: row.user_id,
    clientId: row.client_id,
    scopes: parse<string[]>(row.scopes),
    resources: parse<string[]>(row.resources),
    clientFingerprint: row.client_fingerprint,
    grantedAt: Number(row.granted_at),
    expiresAt: Number(row.expires_at),
  };
  if (typeof row.client_identity === 'string') {
    // Kept only for the fingerprint it was saved with: a later save without it leaves the column.
    const stored = parse<{ fingerprint: string; identity: ConsentedClientIdentity }>(row.client_identity);
    if (stored.fingerprint === consent.clientFingerprint) consent.clientIdentity = stored.identity;
  }
  return consent;
}

/** A client document record as a row. */
export function encodeClientDocument(record: ClientDocumentRecord): ClientDocumentTable {
  return {
    client_id: record.clientId,
    fingerprint: record.fingerprint,
    first_seen: record.firstSeen,
    last_seen: record.lastSeen,
    client_name: record.clientName ?? null,
    changes: record.changes === undefined ? null : JSON.stringify(record.changes),
  };
}

/** A client document row as its record. */
export function decodeClientDocument(row: ClientDocumentTable): ClientDocumentRecord {
  const record: ClientDocumentRecord = {
    clientId: row.client_id,
    fingerprint: row.fingerprint,
    firstSeen: Number(row.first_seen),
    lastSeen: Number(row.last_seen),
  };
  if (row.client_name !== null) record.clientName = row.client_name;
  if (row.changes !== null) record.changes = parse<ClientDocumentChanges>(row.changes);
  return record;
}

/** The columns of a client listing row (aggregates come back as strings from PostgreSQL). */
export interface ClientSummaryColumns {
  client_id: string;
  fingerprint: string;
  client_name: string | null;
  first_seen: number | string | bigint;
  last_seen: number | string | bigint;
  documents: number | string | bigint;
}

/** A client listing row as its summary. */
export function decodeClientSummary(row: ClientSummaryColumns): ClientSummary {
  const summary: ClientSummary = {
    clientId: row.client_id,
    fingerprint: row.fingerprint,
    firstSeen: Number(row.first_seen),
    lastSeen: Number(row.last_seen),
    documents: Number(row.documents),
  };
  if (row.client_name !== null) summary.clientName = row.client_name;
  return summary;
}
