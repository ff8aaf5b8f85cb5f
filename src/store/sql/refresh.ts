/**
 * Refresh token families (MCP-AS-13): creation, rotation with reuse detection, lookup and
 * revocation by family or grant. Expired families and tokens count as absent.
 *
 * @module
 */
import { CimdError } from '../../errors.js';
import type { ResolvedPage } from '../paging.js';
import { REVOKED_GRANT_RETENTION_MS } from '../retention.js';
import type {
  GrantFilter,
  JtiRecord,
  RecordJtiAndRotateResult,
  RefreshFamilyChanges,
  RefreshFamilyRecord,
  RotateRefreshResult,
} from '../store.js';
import { decodeFamily, encodeFamily } from './codecs.js';
import { recordJti } from './jti.js';
import { prepare } from './prepared.js';
import { execute, type Operation, selectFirst, selectRows } from './steps.js';
import type { StoreQueryBuilder } from './tables.js';

const selectLive = prepare((db, a: { tokenHash: string; now: number }) =>
  db
    .selectFrom('cimd_refresh_token as t')
    .innerJoin('cimd_refresh_family as f', 'f.family_id', 't.family_id')
    .selectAll('f')
    .select('t.used_at as token_used_at')
    .where('t.token_hash', '=', a.tokenHash)
    .where('t.expires_at', '>', a.now)
    .where('f.expires_at', '>', a.now),
);

/** The live family of `tokenHash` and whether that token was rotated away. */
function* findLive(db: StoreQueryBuilder, tokenHash: string, now: number) {
  return yield* selectFirst(selectLive(db, { tokenHash, now }));
}

/**
 * Inserts a token, or replaces an expired one with the same hash (as if it were absent): 1
 * affected row exactly when the hash was not a live token.
 */
const upsertToken = prepare(
  (db, a: { tokenHash: string; familyId: string; expiresAt: number; now: number }) =>
    db
      .insertInto('cimd_refresh_token')
      .values({ token_hash: a.tokenHash, family_id: a.familyId, used_at: null, expires_at: a.expiresAt })
      .onConflict((conflict) =>
        conflict
          .column('token_hash')
          .doUpdateSet({
            family_id: (eb) => eb.ref('excluded.family_id'),
            used_at: (eb) => eb.ref('excluded.used_at'),
            expires_at: (eb) => eb.ref('excluded.expires_at'),
          })
          .where('cimd_refresh_token.expires_at', '<=', a.now),
      ),
);

/** The error for a token hash that is already a live token's. */
export function tokenHashTaken(): CimdError {
  return new CimdError(
    'ERR_STORE_CONFLICT',
    'This refresh token hash is already in use: token hashes must be unique',
  );
}

/** The error for a family id that is already a live family's. */
export function familyIdTaken(familyId: string): CimdError {
  return new CimdError('ERR_STORE_CONFLICT', `A refresh token family with id ${familyId} already exists`);
}

/** Adds `tokenHash` as the current token of a family; throws when a live token has that hash. */
function* insertToken(
  db: StoreQueryBuilder,
  tokenHash: string,
  familyId: string,
  expiresAt: number,
  now: number,
): Operation<void> {
  const inserted = yield* execute(upsertToken(db, { tokenHash, familyId, expiresAt, now }));
  if (inserted !== 1) throw tokenHashTaken();
}

/**
 * Holds the grant's `cimd_revoked_grant` row until the transaction ends, inserting an
 * already-expired placeholder when there is none (the sweep deletes it; as expired it revokes
 * nothing). {@link createRefreshFamily} and {@link revokeGrant} both start with it, so on a
 * database whose transactions interleave (PostgreSQL's READ COMMITTED) one waits for the other's
 * commit and then sees what it wrote: a family created while its grant is revoked cannot miss
 * both the revocation's update and its record.
 */
function* lockGrant(db: StoreQueryBuilder, grantId: string, now: number): Operation<void> {
  yield* execute(
    db
      .insertInto('cimd_revoked_grant')
      .values({ grant_id: grantId, expires_at: now })
      .onConflict((conflict) =>
        conflict
          .column('grant_id')
          .doUpdateSet({ expires_at: (eb) => eb.ref('cimd_revoked_grant.expires_at') }),
      ),
  );
}

/**
 * Creates a family whose current token is `tokenHash`. A family of a grant revoked within
 * {@link REVOKED_GRANT_RETENTION_MS} is created revoked, also when the revocation runs at the
 * same time (see {@link lockGrant}). Throws when a live family has the id.
 */
export function* createRefreshFamily(
  db: StoreQueryBuilder,
  family: RefreshFamilyRecord,
  tokenHash: string,
  now: number,
): Operation<void> {
  // An expired family with this id goes; its tokens expired with it, so they count as absent
  // until the sweep deletes them (and an expired token's hash may be issued again: `upsertToken`).
  yield* execute(
    db
      .deleteFrom('cimd_refresh_family')
      .where('family_id', '=', family.familyId)
      .where('expires_at', '<=', now),
  );
  yield* lockGrant(db, family.grantId, now);
  const grantRevoked = yield* selectFirst(
    db
      .selectFrom('cimd_revoked_grant')
      .select('grant_id')
      .where('grant_id', '=', family.grantId)
      .where('expires_at', '>', now),
  );
  const inserted = yield* execute(
    db
      .insertInto('cimd_refresh_family')
      .values({ ...encodeFamily(family), revoked_at: grantRevoked === undefined ? null : now })
      .onConflict((conflict) => conflict.column('family_id').doNothing()),
  );
  if (inserted !== 1) throw familyIdTaken(family.familyId);
  yield* insertToken(db, tokenHash, family.familyId, family.expiresAt, now);
}

/** Marks a current token as rotated away: 1 affected row for the one caller that flips it. */
const markUsed = prepare((db, a: { tokenHash: string; now: number }) =>
  db
    .updateTable('cimd_refresh_token')
    .set({ used_at: a.now })
    .where('token_hash', '=', a.tokenHash)
    .where('used_at', 'is', null),
);

/**
 * Rotates `oldHash` to `newHash`. Whoever flips the old token's `used_at` from NULL wins
 * (`rotated`). A token that was already rotated away is always `reused` and (again) revokes the
 * family, so every loser of a concurrent rotation sees `reused`; the current token of a revoked
 * family is `revoked`. Throws when `newHash` is already a live token (the whole operation is then
 * rolled back). The winner applies `changes` to the family row in the same transaction.
 */
export function* rotateRefreshToken(
  db: StoreQueryBuilder,
  oldHash: string,
  newHash: string,
  now: number,
  changes: RefreshFamilyChanges = {},
): Operation<RotateRefreshResult> {
  const row = yield* findLive(db, oldHash, now);
  if (row === undefined) return { status: 'invalid' };
  const family = decodeFamily(row);
  if (row.token_used_at === null) {
    if (row.revoked_at !== null) return { status: 'revoked', family };
    const won = yield* execute(markUsed(db, { tokenHash: oldHash, now }));
    if (won === 1) {
      yield* insertToken(db, newHash, family.familyId, family.expiresAt, now);
      return { status: 'rotated', family: yield* applyChanges(db, family, changes) };
    }
  }
  yield* revokeRefreshFamily(db, family.familyId, now);
  return { status: 'reused', family };
}

/**
 * Records `jti` as `recordJti` does, then, when it was new, rotates as {@link rotateRefreshToken}
 * does: `replayed` (and nothing else) when the pair was live. Run in one transaction, a failed
 * rotation (a thrown conflict) takes the record back with it.
 */
export function* recordJtiAndRotate(
  db: StoreQueryBuilder,
  record: JtiRecord,
  oldHash: string,
  newHash: string,
  now: number,
  changes: RefreshFamilyChanges = {},
): Operation<RecordJtiAndRotateResult> {
  if (!(yield* recordJti(db, record.clientId, record.jti, now, record.ttlMs))) return { status: 'replayed' };
  return yield* rotateRefreshToken(db, oldHash, newHash, now, changes);
}

const setKeyAndFingerprint = prepare(
  (db, a: { familyId: string; keyThumbprint: string; clientFingerprint: string }) =>
    db
      .updateTable('cimd_refresh_family')
      .set({ key_thumbprint: a.keyThumbprint, client_fingerprint: a.clientFingerprint })
      .where('family_id', '=', a.familyId),
);
const setKey = prepare((db, a: { familyId: string; keyThumbprint: string }) =>
  db
    .updateTable('cimd_refresh_family')
    .set({ key_thumbprint: a.keyThumbprint })
    .where('family_id', '=', a.familyId),
);
const setFingerprint = prepare((db, a: { familyId: string; clientFingerprint: string }) =>
  db
    .updateTable('cimd_refresh_family')
    .set({ client_fingerprint: a.clientFingerprint })
    .where('family_id', '=', a.familyId),
);

/**
 * Writes `changes` to the family's row and returns the family with them. A change to the value
 * the row already holds is no change: when nothing differs, nothing is written.
 */
function* applyChanges(
  db: StoreQueryBuilder,
  family: RefreshFamilyRecord,
  changes: RefreshFamilyChanges,
): Operation<RefreshFamilyRecord> {
  const { familyId } = family;
  const keyThumbprint =
    changes.keyThumbprint !== undefined && changes.keyThumbprint !== family.keyThumbprint
      ? changes.keyThumbprint
      : undefined;
  const clientFingerprint =
    changes.clientFingerprint !== undefined && changes.clientFingerprint !== family.clientFingerprint
      ? changes.clientFingerprint
      : undefined;
  if (keyThumbprint === undefined && clientFingerprint === undefined) return family;
  const updated = { ...family };
  if (keyThumbprint !== undefined) updated.keyThumbprint = keyThumbprint;
  if (clientFingerprint !== undefined) updated.clientFingerprint = clientFingerprint;
  yield* execute(
    keyThumbprint === undefined
      ? setFingerprint(db, { familyId, clientFingerprint: clientFingerprint as string })
      : clientFingerprint === undefined
        ? setKey(db, { familyId, keyThumbprint })
        : setKeyAndFingerprint(db, { familyId, keyThumbprint, clientFingerprint }),
  );
  return updated;
}

/** The live family of a current or earlier token, revoked or not. */
export function* findRefreshFamily(
  db: StoreQueryBuilder,
  tokenHash: string,
  now: number,
): Operation<RefreshFamilyRecord | undefined> {
  const row = yield* findLive(db, tokenHash, now);
  return row === undefined ? undefined : decodeFamily(row);
}

const revokeFamily = prepare((db, a: { familyId: string; now: number }) =>
  db
    .updateTable('cimd_refresh_family')
    .set({ revoked_at: a.now })
    .where('family_id', '=', a.familyId)
    .where('revoked_at', 'is', null),
);

/** Revokes one family (idempotent: an earlier revocation time is kept). */
export function* revokeRefreshFamily(db: StoreQueryBuilder, familyId: string, now: number): Operation<void> {
  yield* execute(revokeFamily(db, { familyId, now }));
}

/**
 * Revokes every family of a grant, and remembers the grant so families created later are revoked
 * too. A grant already remembered as revoked (by a committed revocation) needs nothing more: every
 * family it had was revoked then, and every later one was created revoked. So of many concurrent
 * revocations of one grant (a code replayed a thousand times) only the first touches the families;
 * the others wait only for its row, not for each other's transactions.
 */
export function* revokeGrant(db: StoreQueryBuilder, grantId: string, now: number): Operation<void> {
  // The grant's record first: it takes the row lock createRefreshFamily waits on (see lockGrant).
  // It is (re)written only when absent or expired (an expired placeholder from lockGrant).
  const marked = yield* execute(
    db
      .insertInto('cimd_revoked_grant')
      .values({ grant_id: grantId, expires_at: now + REVOKED_GRANT_RETENTION_MS })
      .onConflict((conflict) =>
        conflict
          .column('grant_id')
          .doUpdateSet({ expires_at: (eb) => eb.ref('excluded.expires_at') })
          .where('cimd_revoked_grant.expires_at', '<=', now),
      ),
  );
  if (marked === 0) return;
  yield* execute(
    db
      .updateTable('cimd_refresh_family')
      .set({ revoked_at: now })
      .where('grant_id', '=', grantId)
      .where('revoked_at', 'is', null),
  );
}

/** One page of the live families (not revoked, not expired) matching `filter`, newest first. */
export function* listRefreshFamilies(
  db: StoreQueryBuilder,
  filter: GrantFilter,
  page: ResolvedPage,
  now: number,
): Operation<RefreshFamilyRecord[]> {
  let query = db
    .selectFrom('cimd_refresh_family')
    .selectAll()
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now);
  if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId);
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
  const rows = yield* selectRows(
    query.orderBy('created_at', 'desc').orderBy('family_id', 'asc').limit(page.limit).offset(page.offset),
  );
  return rows.map(decodeFamily);
}
