/**
 * What the authorization server reports as it works, as typed events handed to observers: the
 * hook behind metrics (`mcp-cimd/server/metrics`) and the audit stream (`audit` option). The
 * events are emitted where the server logs the same facts; they never carry a secret (no codes,
 * tokens, assertions, proofs or verifiers), and their labels are bounded: routes are the
 * registered route patterns, never raw paths.
 *
 * @module
 */
import type { Logger } from './logger.js';

/** The kinds of replay the server detects. */
export type ReplayKind = 'code' | 'jti' | 'refresh_token' | 'dpop';

/** What a fetch of a client document or a client's `jwks_uri` fetched for. */
export type FetchTarget = 'document' | 'jwks';

/** A request answered by the server. */
export interface RequestEvent {
  readonly type: 'http.request';
  readonly method: string;
  /** The registered route pattern that answered (`/token`, `/logo/:id`), or `unmatched`. */
  readonly route: string;
  readonly status: number;
  /** Time to the response, in ms. */
  readonly durationMs: number;
}

/** A fetch of a client document or key set ended. */
export interface FetchEvent {
  readonly type: 'fetch.completed';
  readonly target: FetchTarget;
  /** `success` (200), `not_modified` (304 to a revalidation), `stale` (host down, stale copy served) or `failure`. */
  readonly outcome: 'success' | 'not_modified' | 'stale' | 'failure';
  /** The failure's stable code (`ERR_FETCH_TIMEOUT`, `ERR_CIMD_INVALID_DOCUMENT`, ...) on `failure`. */
  readonly code?: string;
}

/** A cache lookup of a client document or key set. */
export interface CacheEvent {
  readonly type: 'cache.lookup';
  readonly target: FetchTarget;
  /** `hit` (a fresh copy, in process or shared) or `miss` (a fetch or revalidation follows). */
  readonly result: 'hit' | 'miss';
}

/** The per-origin fetch budget refused a document fetch. */
export interface BudgetRefusalEvent {
  readonly type: 'fetch.budget_refused';
  readonly limit: 'rate' | 'failures' | 'concurrency';
}

/** Tokens were issued at `/token`. */
export interface TokenIssuedEvent {
  readonly type: 'token.issued';
  readonly grantType: string;
  readonly clientId: string;
  /** The access token's `sub`. */
  readonly sub: string;
  /** The access token's audience (RFC 8707 resources). */
  readonly resource: readonly string[];
  /** The granted scope ('' for none). */
  readonly scope: string;
  /** Whether a refresh token was issued too. */
  readonly refreshToken: boolean;
}

/** A token request was refused. */
export interface TokenRefusedEvent {
  readonly type: 'token.refused';
  /** The OAuth `error` code sent. */
  readonly error: string;
  /** The grant type, when it is one this server supports. */
  readonly grantType?: string;
  /** The client, once it was authenticated or named by the failing step. */
  readonly clientId?: string;
}

/** A one-time value was presented again. */
export interface ReplayEvent {
  readonly type: 'replay.detected';
  readonly kind: ReplayKind;
  readonly clientId?: string;
}

/** A user approved a client (on the consent page, or by signing in after consenting). */
export interface ConsentGrantedEvent {
  readonly type: 'consent.granted';
  readonly clientId: string;
  readonly sub: string;
  readonly scopes: readonly string[];
  readonly resources: readonly string[];
  /** The client's document fingerprint the user approved. */
  readonly fingerprint: string;
}

/** A remembered consent was revoked. */
export interface ConsentRevokedEvent {
  readonly type: 'consent.revoked';
  readonly clientId: string;
  readonly sub: string;
}

/** A client's document (by fingerprint) was seen for the first time by any instance on the store. */
export interface ClientFirstSeenEvent {
  readonly type: 'client.first_seen';
  readonly clientId: string;
  readonly source: 'cimd' | 'registered';
  readonly fingerprint: string;
  readonly clientName?: string;
}

/** A client's document changed its fingerprint (redirect URIs, auth method, keys, scope). */
export interface ClientDocumentChangedEvent {
  readonly type: 'client.document_changed';
  readonly clientId: string;
  readonly source: 'cimd' | 'registered';
  readonly previousFingerprint: string;
  readonly fingerprint: string;
  /** Top-level members whose value changed, sorted; empty when the previous document is not known here. */
  readonly fields: readonly string[];
  readonly keysAdded: readonly string[];
  readonly keysRemoved: readonly string[];
}

/**
 * A client's keys changed: its document's inline keys or `jwks_uri` (with the document
 * fingerprints), or the key set served at its `jwks_uri` (with `jwksUri`, reported by the
 * instance that fetched the new set).
 */
export interface ClientKeysChangedEvent {
  readonly type: 'client.keys_changed';
  readonly clientId: string;
  /** The document fingerprint before, when the document changed. */
  readonly previousFingerprint?: string;
  /** The document fingerprint now, when the document changed. */
  readonly fingerprint?: string;
  /** RFC 7638 SHA-256 thumbprints of keys added. */
  readonly keysAdded: readonly string[];
  /** Thumbprints of keys removed. */
  readonly keysRemoved: readonly string[];
  /** Set when the document now names another `jwks_uri`. */
  readonly jwksUriChanged?: boolean;
  /** The `jwks_uri` whose served key set changed (the document itself did not). */
  readonly jwksUri?: string;
}

/** Every event the server emits. */
export type ServerEvent =
  | RequestEvent
  | FetchEvent
  | CacheEvent
  | BudgetRefusalEvent
  | TokenIssuedEvent
  | TokenRefusedEvent
  | ReplayEvent
  | ConsentGrantedEvent
  | ConsentRevokedEvent
  | ClientFirstSeenEvent
  | ClientDocumentChangedEvent
  | ClientKeysChangedEvent;

/** The `type`s of {@link ServerEvent}. */
export type ServerEventType = ServerEvent['type'];

/**
 * Receives the server's events, synchronously, on the request's path: keep it quick and never
 * block (queue slow work). An observer that throws is logged at `warn` and otherwise ignored.
 */
export type ServerObserver = (event: ServerEvent) => void;

/** Emits one event to every observer. */
export type EmitEvent = (event: ServerEvent) => void;

/** An emitter that hands each event to `observers` in order, isolating their failures. */
export function createEmitter(observers: readonly ServerObserver[], logger: Logger): EmitEvent {
  if (observers.length === 0) return () => {};
  return (event) => {
    for (const observe of observers) {
      try {
        observe(event);
      } catch (error) {
        logger.warn(
          {
            event: 'observer_failed',
            type: event.type,
            err: error instanceof Error ? { name: error.name, message: error.message } : String(error),
          },
          'an event observer threw; ignored',
        );
      }
    }
  };
}

const REPLAY = Symbol('cimd.replay');

interface ReplayMark {
  kind: ReplayKind;
  clientId?: string;
}

/**
 * Marks `error` (about to be thrown) as the refusal of a replay, so the endpoint that answers it
 * reports `replay.detected` once. Returns `error`.
 */
export function markReplay<E extends Error>(error: E, kind: ReplayKind, clientId?: string): E {
  const mark: ReplayMark = clientId === undefined ? { kind } : { kind, clientId };
  Object.defineProperty(error, REPLAY, { value: mark, enumerable: false });
  return error;
}

/** The replay `error` was marked with by {@link markReplay}, if any. */
export function replayOf(error: unknown): ReplayMark | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  return (error as { [REPLAY]?: ReplayMark })[REPLAY];
}
