/**
 * The tables of the SQL store backends, as Kysely table types. Names carry a `cimd_` prefix so
 * the store can share a database with the application. Times are epoch milliseconds (`bigint`
 * columns); nested values (resources, scopes, extra, metadata) are JSON text.
 *
 * @module
 */
import { type Kysely, SqliteAdapter } from 'kysely';

/** Replay records of client assertion `jti`s (PKJ-09). */
export interface JtiTable {
  client_id: string;
  jti: string;
  expires_at: number;
}

/** Authorization codes, by hash (PKCE-AS-08). */
export interface CodeTable {
  code_hash: string;
  grant_id: string;
  client_id: string;
  user_id: string;
  redirect_uri: string;
  code_challenge: string;
  /** JSON array of strings. */
  resources: string;
  scope: string;
  client_fingerprint: string | null;
  auth_time: number;
  /** JSON object, or null when absent. */
  extra: string | null;
  expires_at: number;
  /** When the code was first consumed; null while unused. */
  consumed_at: number | null;
}

/** Refresh token families (MCP-AS-13). */
export interface RefreshFamilyTable {
  family_id: string;
  grant_id: string;
  client_id: string;
  user_id: string;
  scope: string;
  /** JSON array of strings. */
  resources: string;
  auth_method: string;
  key_thumbprint: string | null;
  client_fingerprint: string | null;
  created_at: number;
  expires_at: number;
  /** JSON object, or null when absent. */
  extra: string | null;
  /** When the family was revoked; null while live. */
  revoked_at: number | null;
}

/** Every refresh token a family has had, by hash. At most one per family is unused: the current one. */
export interface RefreshTokenTable {
  token_hash: string;
  family_id: string;
  /** When the token was rotated away; null for the family's current token. */
  used_at: number | null;
  /** The family's expiry, copied so expired tokens can be swept without a join. */
  expires_at: number;
}

/** Grants revoked recently: families created for them later are created revoked. */
export interface RevokedGrantTable {
  grant_id: string;
  expires_at: number;
}

/** Registered (DCR or static) clients. */
export interface ClientTable {
  client_id: string;
  /** JSON object. */
  metadata: string;
  created_at: number;
}

/** Remembered consents, one per (user, client) (CIMD-AS-19). */
export interface ConsentTable {
  user_id: string;
  client_id: string;
  /** JSON array of strings. */
  scopes: string;
  /** JSON array of strings. */
  resources: string;
  client_fingerprint: string;
  granted_at: number;
  expires_at: number;
  /** JSON `{ fingerprint, identity }` (a `ConsentedClientIdentity`), or null (schema version 3). */
  client_identity: string | null;
}

/** The shared cache (CIMD documents, JWKS). */
export interface CacheTable {
  cache_key: string;
  value: string;
  expires_at: number;
}

/** Every document fingerprint each client has had (schema version 2); rows never expire. */
export interface ClientDocumentTable {
  client_id: string;
  fingerprint: string;
  first_seen: number;
  last_seen: number;
  client_name: string | null;
  /** JSON of `ClientDocumentChanges`, or null for a client's first document. */
  changes: string | null;
}

/** Durable server values, such as the sealed signing key set (schema version 2). */
export interface StateTable {
  name: string;
  value: string;
}

/** Named locks: who holds each and until when (schema version 2). */
export interface LockTable {
  name: string;
  owner: string;
  /** Epoch ms from which the lock is free again. */
  expires_at: number;
}

/** One row per applied schema migration. */
export interface SchemaVersionTable {
  version: number;
  applied_at: number;
}

/** Every table of the SQL store, by name. */
export interface StoreTables {
  cimd_schema_version: SchemaVersionTable;
  cimd_jti: JtiTable;
  cimd_code: CodeTable;
  cimd_refresh_family: RefreshFamilyTable;
  cimd_refresh_token: RefreshTokenTable;
  cimd_revoked_grant: RevokedGrantTable;
  cimd_client: ClientTable;
  cimd_consent: ConsentTable;
  cimd_cache: CacheTable;
  cimd_client_document: ClientDocumentTable;
  cimd_state: StateTable;
  cimd_lock: LockTable;
}

/**
 * The query builder the SQL operations use. Operations only build and compile queries with it;
 * a backend's runner executes them (see `steps.ts`).
 */
export type StoreQueryBuilder = Kysely<StoreTables>;

/** The SQL dialect `db` compiles to. */
export function dialectOf(db: StoreQueryBuilder): 'sqlite' | 'postgres' {
  return db.getExecutor().adapter instanceof SqliteAdapter ? 'sqlite' : 'postgres';
}
