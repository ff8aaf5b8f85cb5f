/**
 * The audit stream's events: a stable, versioned JSON shape (docs/audit.md has one table per
 * event). Each is one JSON object with `type`, `time` (ISO 8601, UTC), `version` (1) and the
 * event's fields in snake_case. They never carry a secret: no codes, tokens, assertions, proofs,
 * verifiers or upstream credentials, only client ids, subjects, scopes, resources, fingerprints
 * and key thumbprints.
 *
 * @module
 */
import type { ServerEvent } from '../events.js';

/** The version of the audit event shape; a breaking change increments it. */
export const AUDIT_EVENT_VERSION = 1;

/** The audit event types, in the order docs/audit.md lists them. */
export const AUDIT_EVENT_TYPES = Object.freeze([
  'client.first_seen',
  'client.document_changed',
  'client.keys_changed',
  'consent.granted',
  'consent.revoked',
  'token.issued',
  'token.refused',
  'replay.detected',
] as const);

/** One of {@link AUDIT_EVENT_TYPES}. */
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** One audit event, as written to a sink (see docs/audit.md for the fields of each type). */
export interface AuditEvent {
  readonly type: AuditEventType;
  /** When it happened, ISO 8601 in UTC with milliseconds. */
  readonly time: string;
  readonly version: typeof AUDIT_EVENT_VERSION;
  readonly [field: string]: unknown;
}

function optional(name: string, value: unknown): Record<string, unknown> {
  return value === undefined ? {} : { [name]: value };
}

/** The event's own fields, or `undefined` when `event` is not audited. */
function fieldsOf(event: ServerEvent): [AuditEventType, Record<string, unknown>] | undefined {
  switch (event.type) {
    case 'client.first_seen':
      return [
        event.type,
        {
          client_id: event.clientId,
          source: event.source,
          fingerprint: event.fingerprint,
          ...optional('client_name', event.clientName),
        },
      ];
    case 'client.document_changed':
      return [
        event.type,
        {
          client_id: event.clientId,
          source: event.source,
          previous_fingerprint: event.previousFingerprint,
          fingerprint: event.fingerprint,
          fields: [...event.fields],
          keys_added: [...event.keysAdded],
          keys_removed: [...event.keysRemoved],
        },
      ];
    case 'client.keys_changed':
      return [
        event.type,
        {
          client_id: event.clientId,
          ...optional('previous_fingerprint', event.previousFingerprint),
          ...optional('fingerprint', event.fingerprint),
          keys_added: [...event.keysAdded],
          keys_removed: [...event.keysRemoved],
          jwks_uri_changed: event.jwksUriChanged === true,
          ...optional('jwks_uri', event.jwksUri),
        },
      ];
    case 'consent.granted':
      return [
        event.type,
        {
          client_id: event.clientId,
          sub: event.sub,
          scope: event.scopes.join(' '),
          resource: [...event.resources],
          fingerprint: event.fingerprint,
        },
      ];
    case 'consent.revoked':
      return [event.type, { client_id: event.clientId, sub: event.sub }];
    case 'token.issued':
      return [
        event.type,
        {
          grant_type: event.grantType,
          client_id: event.clientId,
          sub: event.sub,
          resource: [...event.resource],
          scope: event.scope,
          with_refresh_token: event.refreshToken,
        },
      ];
    case 'token.refused':
      return [
        event.type,
        {
          error: event.error,
          ...optional('grant_type', event.grantType),
          ...optional('client_id', event.clientId),
        },
      ];
    case 'replay.detected':
      return [event.type, { kind: event.kind, ...optional('client_id', event.clientId) }];
    default:
      return undefined;
  }
}

/** The audit event for `event` at `at` (epoch ms), or `undefined` when `event` is not audited. */
export function toAuditEvent(event: ServerEvent, at: number): AuditEvent | undefined {
  const found = fieldsOf(event);
  if (found === undefined) return undefined;
  const [type, fields] = found;
  return { type, time: new Date(at).toISOString(), version: AUDIT_EVENT_VERSION, ...fields };
}
