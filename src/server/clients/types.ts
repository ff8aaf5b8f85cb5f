/**
 * What client resolution returns: a validated client with where it came from, how fresh it is,
 * and a fingerprint of its security-relevant fields.
 *
 * @module
 */
import type { ClientMetadata } from '../../document/schema.js';

/** Where a client's metadata came from and how fresh it is. */
export interface ClientProvenance {
  /** `cimd`: fetched from its `client_id` URL; `registered`: from the store (DCR or static). */
  source: 'cimd' | 'registered';
  /** Epoch ms the document was fetched (or last revalidated with a 304); CIMD only. */
  fetchedAt?: number;
  /** Epoch ms until which it is used without asking its host again; CIMD only. */
  freshUntil?: number;
  /** The `ETag` validator, when the host sent one. */
  etag?: string;
  /** The `Last-Modified` validator, when the host sent one. */
  lastModified?: string;
  /**
   * True when the document is past `freshUntil` and served anyway because its host is down and
   * `serveStaleOnErrorMs` allows it.
   */
  stale?: boolean;
}

/** A trust policy decision, with a reason that can be logged and shown. */
export interface TrustDecision {
  /** Whether the client may be used at all. */
  allowed: boolean;
  /** Whether the client is trusted: its name and logo may be shown, consent may be remembered or skipped by policy. */
  trusted: boolean;
  /** Why, in words, e.g. "client_id matches the allow entry *.example.com". */
  reason: string;
}

/** A client ready for the authorization and token endpoints. */
export interface ResolvedClient {
  clientId: string;
  /** The validated metadata (RFC 7591 wire names; unknown members kept). */
  metadata: ClientMetadata;
  /** `none` or `private_key_jwt`. */
  authMethod: 'none' | 'private_key_jwt';
  /** The registered redirect URIs. */
  redirectUris: readonly string[];
  /** The grant types this server supports that the client lists (unknown ones are ignored). */
  grantTypes: readonly string[];
  provenance: ClientProvenance;
  /**
   * base64url SHA-256 over the canonical JSON of the security-relevant fields: redirect URIs, auth
   * method, signing alg, keys or `jwks_uri`, scope. A different fingerprint means the document
   * changed in a way that needs fresh consent (CIMD §6.3).
   */
  fingerprint: string;
  trust: TrustDecision;
}
