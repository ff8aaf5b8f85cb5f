/**
 * A client's identity fields (`client_name`, `client_uri`, `logo_uri`, `redirect_uris`, keys: see
 * `IDENTITY_MEMBERS`) as a consent records them, and what changed between the document a user
 * approved and the client's document now, for the renewed consent page.
 *
 * @module
 */
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { ClientMetadata } from '../../document/schema.js';
import type { ConsentedClientIdentity } from '../../store/store.js';

/** The RFC 7638 SHA-256 thumbprints of the inline keys of `metadata` (none for a `jwks_uri` client). */
export async function inlineKeyThumbprints(
  metadata: Readonly<Partial<ClientMetadata>>,
): Promise<Set<string>> {
  const keys = (metadata.jwks as { keys?: unknown } | undefined)?.keys;
  if (!Array.isArray(keys)) return new Set();
  const thumbprints = await Promise.all(
    keys.map(async (key: unknown) => {
      try {
        return await calculateJwkThumbprint(key as JWK, 'sha256');
      } catch {
        return undefined;
      }
    }),
  );
  return new Set(thumbprints.filter((value) => value !== undefined));
}

/** The identity fields of `metadata`, as a consent records them. */
export async function clientIdentityOf(
  metadata: Readonly<Partial<ClientMetadata>>,
): Promise<ConsentedClientIdentity> {
  const identity: ConsentedClientIdentity = {
    redirectUris: [...new Set(metadata.redirect_uris ?? [])].sort(),
    keyThumbprints: [...(await inlineKeyThumbprints(metadata))].sort(),
  };
  if (typeof metadata.client_name === 'string') identity.clientName = metadata.client_name;
  if (typeof metadata.client_uri === 'string') identity.clientUri = metadata.client_uri;
  if (typeof metadata.logo_uri === 'string') identity.logoUri = metadata.logo_uri;
  if (typeof metadata.jwks_uri === 'string') identity.jwksUri = metadata.jwks_uri;
  return identity;
}

/** One identity field that changed since the user's consent. */
export type IdentityChange =
  /** A declared text field: its value then and now (absent when not declared). */
  | { field: 'client_name' | 'client_uri' | 'logo_uri'; from?: string; to?: string }
  /** The redirect URIs added and removed. */
  | { field: 'redirect_uris'; added: string[]; removed: string[] }
  /** The inline keys added and removed (counts), and whether `jwks_uri` changed. */
  | { field: 'keys'; added: number; removed: number; jwksUriChanged: boolean }
  /** The document changed, but the consent did not record its identity fields (older versions). */
  | { field: 'unknown' };

function difference(left: readonly string[], right: readonly string[]): string[] {
  return left.filter((value) => !right.includes(value));
}

/**
 * What changed in the identity fields from `consented` (the document approved; undefined when the
 * consent predates recording it) to `current`. Empty when none of them changed (another
 * fingerprinted member, such as `scope`, may still have).
 */
export function identityChanges(
  consented: ConsentedClientIdentity | undefined,
  current: ConsentedClientIdentity,
): IdentityChange[] {
  if (consented === undefined) return [{ field: 'unknown' }];
  const changes: IdentityChange[] = [];
  const texts = [
    ['client_name', consented.clientName, current.clientName],
    ['client_uri', consented.clientUri, current.clientUri],
    ['logo_uri', consented.logoUri, current.logoUri],
  ] as const;
  for (const [field, from, to] of texts) {
    if (from === to) continue;
    changes.push({ field, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) });
  }
  const added = difference(current.redirectUris, consented.redirectUris);
  const removed = difference(consented.redirectUris, current.redirectUris);
  if (added.length > 0 || removed.length > 0) changes.push({ field: 'redirect_uris', added, removed });
  const keysAdded = difference(current.keyThumbprints, consented.keyThumbprints).length;
  const keysRemoved = difference(consented.keyThumbprints, current.keyThumbprints).length;
  const jwksUriChanged = consented.jwksUri !== current.jwksUri;
  if (keysAdded > 0 || keysRemoved > 0 || jwksUriChanged) {
    changes.push({ field: 'keys', added: keysAdded, removed: keysRemoved, jwksUriChanged });
  }
  return changes;
}
