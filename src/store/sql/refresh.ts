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
  RefreshFamilyChanges,
  RefreshFamilyRecord,
  RotateRefreshResult,
} from '../store.js';
import { decodeFamily, encodeFamily } from './codecs.js';
import { execute, type Operation, selectFirst, selectRows } from './steps.js';
import type { StoreQueryBuilder } from './tables.js';

/** The live family of `tokenHash` and whether that token was rotated away. */
function* findLive(db: StoreQueryBuilder, tokenHash: string, now: number) {
  return yield* selectFirst(
    db
      .selectFrom('cimd_refresh_token as t')
      .innerJoin('cimd_refresh_family as f', 'f.family_id', 't.family_id')
      .selectAll('f')
      .select('t.used_at as token_used_at')
      .where('t.token_hash', '=', tokenHash)
      .where('t.expires_at', '>', now)
      .where('f.expires_at', '>', now),
  );
}

/** Adds `tokenHash` as the current token of a family; throws when a live token has that hash. */
function* insertToken(
  db: StoreQueryBuilder,
  tokenHash: string,
  familyId: string,
  expiresAt: number,
  now: number,
): Operation<void> {
  yield* execute(
    db.deleteFrom('cimd_refresh_token').where('token_hash', '=', tokenHash).where('expires_at', '<=', now),
  );
  const inserted = yield* execute(
    db
      .insertInto('cimd_refresh_token')
      .values({ token_hash: tokenHash, family_id: familyId, used_at: null, expires_at: expiresAt })
      .onConflict((conflict) => conflict.column('token_hash').doNothing()),
  );
  if (inserted !== 1)
    throw new CimdError(
      'ERR_STORE_CONFLICT',
      'This refresh token hash is already in use: token hashes must be unique',
    );
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
  const expired = db
    .selectFrom('cimd_refresh_family')
    .select('family_id')
    .where('family_id', '=', family.familyId)
    .where('expires_at', '<=', now);
  yield* execute(db.deleteFrom('cimd_refresh_token').where('family_id', 'in', expired));
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
  if (inserted !== 1)
    throw new CimdError(
      'ERR_STORE_CONFLICT',
      `A refresh token family with id ${family.familyId} already exists`,
    );
  yield* insertToken(db, tokenHash, family.familyId, family.expiresAt, now);
}

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
    const won = yield* execute(
      db
        .updateTable('cimd_refresh_token')
        .set({ used_at: now })
        .where('token_hash', '=', oldHash)
        .where('used_at', 'is', null),
    );
    if (won === 1) {
      yield* insertToken(db, newHash, family.familyId, family.expiresAt, now);
      return { status: 'rotated', family: yield* applyChanges(db, family, changes) };
    }
  }
  yield* revokeRefreshFamily(db, family.familyId, now);
  return { status: 'reused', family };
}

/** Writes `changes` to the family's row and returns the family with them. */
function* applyChanges(
  db: StoreQueryBuilder,
  family: RefreshFamilyRecord,
  changes: RefreshFamilyChanges,
): Operation<RefreshFamilyRecord> {
  const updated = { ...family };
  const columns: { key_thumbprint?: string; client_fingerprint?: string } = {};
  if (changes.keyThumbprint !== undefined) {
    columns.key_thumbprint = changes.keyThumbprint;
    updated.keyThumbprint = changes.keyThumbprint;
  }
  if (changes.clientFingerprint !== undefined) {
    columns.client_fingerprint = changes.clientFingerprint;
    updated.clientFingerprint = changes.clientFingerprint;
  }
  if (Object.keys(columns).length > 0) {
    yield* execute(
      db.updateTable('cimd_refresh_family').set(columns).where('family_id', '=', family.familyId),
    );
  }
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

/** Revokes one family (idempotent: an earlier revocation time is kept). */
export function* revokeRefreshFamily(db: StoreQueryBuilder, familyId: string, now: number): Operation<void> {
  yield* execute(
    db
      .updateTable('cimd_refresh_family')
      .set({ revoked_at: now })
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is', null),
  );
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
