/**
 * The storage interface of the authorization server. Small on purpose: every method is one atomic
 * operation, so a backend (memory, SQLite, PostgreSQL, Redis) can implement it faithfully and
 * every instance sharing one store sees the same single-use codes, replay records and refresh
 * token families. Every backend passes the same contract test suite.
 *
 * Times are epoch milliseconds; durations are milliseconds. Secrets (codes, refresh tokens) are
 * handed to the store already hashed: the store never sees a usable credential.
 *
 * @module
 */

/** What an authorization code stands for, saved when the user approves and consumed at /token. */
export interface AuthorizationCodeRecord {
  /** The grant this code belongs to: everything issued from it carries this id, so a replayed code can revoke it. */
  grantId: string;
  clientId: string;
  /** The subject (user) who approved. */
  userId: string;
  redirectUri: string;
  /** The PKCE S256 challenge the code is bound to. */
  codeChallenge: string;
  /** The resource indicators (RFC 8707) the code is bound to. */
  resources: string[];
  /** Space-separated granted scopes ('' for none). */
  scope: string;
  /** The client's document fingerprint at approval time (CIMD §6.3 change detection). */
  clientFingerprint?: string;
  /** Epoch ms when the user approved. */
  authTime: number;
  /** Anything else the server needs to carry to the token endpoint. */
  extra?: Record<string, unknown>;
}

/** The outcome of {@link Store.consumeCode}. */
export type ConsumeCodeResult =
  /** First use: the caller may issue tokens. */
  | { status: 'consumed'; record: AuthorizationCodeRecord }
  /** The code was already consumed: a replay. The caller should revoke `record.grantId`. */
  | { status: 'reused'; record: AuthorizationCodeRecord }
  /** Unknown or expired. */
  | { status: 'invalid' };

/** A refresh token family: one grant's chain of rotated refresh tokens. */
export interface RefreshFamilyRecord {
  familyId: string;
  grantId: string;
  clientId: string;
  userId: string;
  scope: string;
  resources: string[];
  /** How the client authenticated when the family was created: 'none' or 'private_key_jwt'. */
  authMethod: string;
  /** For private_key_jwt: the JWK thumbprint of the key the client authenticated with (PKJ-17). */
  keyThumbprint?: string;
  clientFingerprint?: string;
  /** Epoch ms the family was created. */
  createdAt: number;
  /** Epoch ms after which no token of the family is accepted (absolute lifetime). */
  expiresAt: number;
  extra?: Record<string, unknown>;
}

/**
 * Family fields a successful rotation updates in the same atomic step (see
 * {@link Store.rotateRefreshToken}): the token endpoint re-binds a family to the key that signed
 * the refresh (a client rotating its keys) and to the client's current document fingerprint.
 * An absent member leaves its field as it was.
 */
export interface RefreshFamilyChanges {
  /** The new `keyThumbprint` (RFC 7638 thumbprint of the key that authenticated this refresh). */
  keyThumbprint?: string;
  /** The new `clientFingerprint` (the client's document fingerprint at this refresh). */
  clientFingerprint?: string;
}

/** The outcome of {@link Store.rotateRefreshToken}. */
export type RotateRefreshResult =
  /** `oldHash` was the family's current token; `newHash` is now. `family` has the changes applied. */
  | { status: 'rotated'; family: RefreshFamilyRecord }
  /** `oldHash` was an earlier token of the family: reuse detected, the family is now revoked. */
  | { status: 'reused'; family: RefreshFamilyRecord }
  /** The family was revoked (or the token belongs to a revoked grant). */
  | { status: 'revoked'; family: RefreshFamilyRecord }
  /** Unknown token, or the family expired. */
  | { status: 'invalid' };

/** A client assertion's `jti` to record, as {@link Store.recordJti} takes it. */
export interface JtiRecord {
  clientId: string;
  jti: string;
  /** How long the record lasts, in ms. */
  ttlMs: number;
}

/**
 * The outcome of {@link Store.recordJtiAndRotate}: the rotation's, or `replayed` when the `jti`
 * was already recorded (nothing else happened).
 */
export type RecordJtiAndRotateResult = RotateRefreshResult | { status: 'replayed' };

/** A client registered through Dynamic Client Registration or configured statically. */
export interface RegisteredClientRecord {
  /** Never starts with `https://` (CIMD-AS-27): that shape is reserved for CIMD clients. */
  clientId: string;
  /** The client metadata (RFC 7591 wire names). */
  metadata: Record<string, unknown>;
  /** Epoch ms. */
  createdAt: number;
}

/** A user's remembered consent for one client. */
export interface ConsentRecord {
  userId: string;
  clientId: string;
  /** Scopes approved (each scope once). */
  scopes: string[];
  /** Resources approved. */
  resources: string[];
  /** The client document fingerprint approved: a changed document asks again (CIMD-AS-19). */
  clientFingerprint: string;
  /** Epoch ms. */
  grantedAt: number;
  /** Epoch ms after which the consent is forgotten. */
  expiresAt: number;
  /**
   * The identity fields of the document approved, so that a renewed consent page can say what
   * changed since. Absent in consents saved by versions before it was recorded.
   */
  clientIdentity?: ConsentedClientIdentity;
}

/** The identity fields of the client document a user approved (see {@link ConsentRecord}). */
export interface ConsentedClientIdentity {
  /** `client_name`, as declared. */
  clientName?: string;
  /** `client_uri`, as declared. */
  clientUri?: string;
  /** `logo_uri`, as declared. */
  logoUri?: string;
  /** `redirect_uris`, sorted, each once. */
  redirectUris: string[];
  /** RFC 7638 SHA-256 thumbprints of the document's inline keys (`jwks`), sorted; empty without. */
  keyThumbprints: string[];
  /** `jwks_uri`, as declared. */
  jwksUri?: string;
}

/**
 * What changed in a client's document compared with the fingerprint seen before it, computed by
 * the server when it records a new fingerprint (see {@link Store.recordClientDocument}).
 */
export interface ClientDocumentChanges {
  /** The fingerprint this document replaced (absent for the first document of a client). */
  previousFingerprint?: string;
  /** The top-level metadata fields whose value changed, sorted (e.g. `['client_name', 'redirect_uris']`). */
  fields: string[];
  /** RFC 7638 thumbprints of keys present now and not before. */
  keysAdded: string[];
  /** RFC 7638 thumbprints of keys present before and not now. */
  keysRemoved: string[];
}

/** One document fingerprint of one client, as the server saw it. */
export interface ClientDocumentRecord {
  clientId: string;
  /** The document's fingerprint (SHA-256 of its canonical JSON, base64url). */
  fingerprint: string;
  /** Epoch ms the server first accepted a document with this fingerprint. */
  firstSeen: number;
  /** Epoch ms the server last accepted it (recorded at most as often as the caller chooses). */
  lastSeen: number;
  /** `client_name` of this document, when it has one (for listings). */
  clientName?: string;
  /** What changed against the fingerprint before it (absent for a client's first document). */
  changes?: ClientDocumentChanges;
}

/** One row of {@link Store.listClientDocuments}: a client and its newest document. */
export interface ClientSummary {
  clientId: string;
  /** The fingerprint last recorded as new (the newest `firstSeen`). */
  fingerprint: string;
  clientName?: string;
  /** Epoch ms of the client's earliest document. */
  firstSeen: number;
  /** Epoch ms of the latest sighting of any of its documents. */
  lastSeen: number;
  /** How many distinct fingerprints were recorded. */
  documents: number;
}

/** Narrows a listing to one client, one user, or both (an empty filter lists everything). */
export interface GrantFilter {
  clientId?: string;
  userId?: string;
}

/** Paging of listings: at most `limit` rows (default 100, at most 1000) after skipping `offset`. */
export interface Page {
  limit?: number;
  offset?: number;
}

/** The storage every authorization-server instance shares. Every method is atomic. */
export interface Store {
  /**
   * Records a client assertion's `jti` for `clientId` for `ttlMs`. Resolves `true` when it was
   * new and `false` when it was already recorded and not expired (a replay, PKJ-09). Of many
   * concurrent calls with the same pair, exactly one resolves `true`.
   */
  recordJti(clientId: string, jti: string, ttlMs: number): Promise<boolean>;

  /** Saves an authorization code (by its hash) for `ttlMs`. */
  saveCode(codeHash: string, record: AuthorizationCodeRecord, ttlMs: number): Promise<void>;
  /**
   * Consumes a code: the first call gets `consumed`, every later one `reused` (until the record
   * expires), an unknown or expired code `invalid`. Of many concurrent calls exactly one gets
   * `consumed`.
   */
  consumeCode(codeHash: string): Promise<ConsumeCodeResult>;

  /** Creates a refresh token family whose current token is `tokenHash`. */
  createRefreshFamily(family: RefreshFamilyRecord, tokenHash: string): Promise<void>;
  /**
   * Rotates: when `oldHash` is the current token of a live family it becomes used and `newHash`
   * current. Presenting an earlier token revokes the family (`reused`) every time it is presented;
   * only the current token of a revoked family gets `revoked`. Of many concurrent rotations of one
   * token exactly one gets `rotated` and the others `reused`, which revokes the family: a
   * concurrent double refresh is treated as theft (the strict OAuth 2.1 reading, no grace window).
   *
   * `changes`, when given, are applied to the family in the same atomic step, and only when the
   * result is `rotated` (whose `family` then carries them); every other outcome leaves the family
   * as it was. Later lookups and rotations see the updated fields.
   */
  rotateRefreshToken(
    oldHash: string,
    newHash: string,
    changes?: RefreshFamilyChanges,
  ): Promise<RotateRefreshResult>;
  /**
   * Optional: {@link recordJti} then {@link rotateRefreshToken} as one atomic step (one round trip
   * on a network store), for a refresh grant whose client authenticated with an assertion. When
   * `jti` is already recorded and live, resolves `replayed` and changes nothing else (no rotation,
   * and no revocation even for an earlier token); otherwise `jti` stays recorded whatever the
   * rotation's outcome, and the result is the rotation's. When the step fails (a thrown error),
   * neither happened. With a store that lacks it, the server records the `jti` when it verifies
   * the assertion, before the grant, as for every other grant.
   */
  recordJtiAndRotate?(
    jti: JtiRecord,
    oldHash: string,
    newHash: string,
    changes?: RefreshFamilyChanges,
  ): Promise<RecordJtiAndRotateResult>;
  /** Finds the family of a token (current or earlier) without changing anything. */
  findRefreshFamily(tokenHash: string): Promise<RefreshFamilyRecord | undefined>;
  /** Revokes one family. Idempotent. */
  revokeRefreshFamily(familyId: string): Promise<void>;
  /**
   * Revokes every family of a grant (a replayed code, a revoked consent). Idempotent. The grant
   * stays marked revoked for a day, so a family created for it afterwards (the first redemption
   * of a code racing its replay) starts out revoked.
   */
  revokeGrant(grantId: string): Promise<void>;

  /** Saves (inserts or replaces) a registered client. */
  saveClient(client: RegisteredClientRecord): Promise<void>;
  getClient(clientId: string): Promise<RegisteredClientRecord | undefined>;

  /** Saves (inserts or replaces) a user's consent for a client. */
  saveConsent(consent: ConsentRecord): Promise<void>;
  /** The unexpired consent of `userId` for `clientId`, if any. */
  getConsent(userId: string, clientId: string): Promise<ConsentRecord | undefined>;
  revokeConsent(userId: string, clientId: string): Promise<void>;

  /** A shared cache (CIMD documents, JWKS): the value for `key` unless expired. */
  cacheGet(key: string): Promise<string | undefined>;
  /** Stores `value` under `key` for `ttlMs`. */
  cacheSet(key: string, value: string, ttlMs: number): Promise<void>;
  cacheDelete(key: string): Promise<void>;

  /**
   * Lists the live refresh token families (not revoked, not expired) matching `filter`, newest
   * first: what an operator sees as the grants of a client or a user.
   */
  listRefreshFamilies(filter: GrantFilter, page?: Page): Promise<RefreshFamilyRecord[]>;

  /** Lists unexpired consents matching `filter`, newest first. */
  listConsents(filter: GrantFilter, page?: Page): Promise<ConsentRecord[]>;

  /**
   * Records that the server accepted `clientId`'s document with `fingerprint` at `seenAt`
   * (epoch ms). A new (client, fingerprint) pair is inserted with `firstSeen = lastSeen = seenAt`
   * and `changes`, and the call resolves `true`; a known pair only moves `lastSeen` forward (never
   * back) and resolves `false`. Of concurrent first calls for one pair exactly one resolves
   * `true`. Records never expire on their own: they are the clients' history.
   */
  recordClientDocument(
    record: Omit<ClientDocumentRecord, 'firstSeen' | 'lastSeen'> & { seenAt: number },
  ): Promise<boolean>;
  /** Every recorded document of `clientId`, oldest `firstSeen` first (empty when unknown). */
  getClientDocuments(clientId: string): Promise<ClientDocumentRecord[]>;
  /** Clients with at least one recorded document, most recently seen first. */
  listClientDocuments(page?: Page): Promise<ClientSummary[]>;

  /**
   * Reads a durable server value (such as the sealed signing key set), or `undefined`. Unlike
   * the cache, values never expire and are never evicted.
   */
  getState(name: string): Promise<string | undefined>;
  /**
   * Writes a durable server value. With `expected`, writes only when the current value is
   * exactly `expected` (`null`: only when there is none) and resolves whether it wrote: a
   * compare-and-set, so two instances cannot both replace one value. Without it, always writes
   * and resolves `true`.
   */
  putState(name: string, value: string, expected?: string | null): Promise<boolean>;

  /**
   * Takes the lock `name` for `owner` for `ttlMs`. Resolves `true` when the lock was free (or
   * expired) or already held by `owner` (whose hold is then extended), `false` while another
   * owner holds it. Of concurrent calls by different owners for a free lock exactly one wins.
   */
  acquireLock(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Releases `name` when `owner` holds it; does nothing otherwise. */
  releaseLock(name: string, owner: string): Promise<void>;

  /** Releases connections and timers. The store is unusable afterwards. */
  close(): Promise<void>;
}
