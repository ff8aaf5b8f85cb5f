/**
 * Deletion of expired rows, run periodically by the SQL store. Reads already treat expired rows
 * as absent, so this only reclaims space.
 *
 * @module
 */
import type { SqlRunner } from './runner.js';
import { execute, type Operation, selectFirst } from './steps.js';
import { dialectOf, type StoreQueryBuilder } from './tables.js';

/** How many refresh tokens one batch of the SQLite sweep looks at, at most. */
export const TOKEN_SWEEP_BATCH = 10_000;

/**
 * How many batches one SQLite sweep runs at most (each its own write transaction): 500 000
 * tokens a sweep, more than a minute of the fastest rotation this store sustains, so the walk
 * keeps ahead of the tokens being written.
 */
export const TOKEN_SWEEP_MAX_BATCHES = 50;

/**
 * Deletes every row whose `expires_at` has passed; refresh tokens only with `tokensByFamily` (the
 * tokens of expired families, through PostgreSQL's `family_id` index; SQLite walks its tokens
 * instead: {@link deleteExpiredTokens}). Returns how many rows it deleted.
 */
export function* deleteExpired(
  db: StoreQueryBuilder,
  now: number,
  tokensByFamily: boolean,
): Operation<number> {
  let deleted = 0;
  deleted += yield* execute(db.deleteFrom('cimd_jti').where('expires_at', '<=', now));
  deleted += yield* execute(db.deleteFrom('cimd_code').where('expires_at', '<=', now));
  if (tokensByFamily) {
    // A token expires with its family (schema version 4 dropped the tokens' own expiry index).
    const expiredFamilies = db
      .selectFrom('cimd_refresh_family')
      .select('family_id')
      .where('expires_at', '<=', now);
    deleted += yield* execute(db.deleteFrom('cimd_refresh_token').where('family_id', 'in', expiredFamilies));
  }
  deleted += yield* execute(db.deleteFrom('cimd_refresh_family').where('expires_at', '<=', now));
  deleted += yield* execute(db.deleteFrom('cimd_revoked_grant').where('expires_at', '<=', now));
  deleted += yield* execute(db.deleteFrom('cimd_consent').where('expires_at', '<=', now));
  deleted += yield* execute(db.deleteFrom('cimd_cache').where('expires_at', '<=', now));
  deleted += yield* execute(db.deleteFrom('cimd_lock').where('expires_at', '<=', now));
  return deleted;
}

/** One batch of the SQLite token walk: what it deleted, and where the next batch starts. */
export interface TokenSweepBatch {
  /** Tokens deleted. */
  deleted: number;
  /** The key the next batch starts after; '' when this batch reached the last token. */
  tokensAfter: string;
}

/**
 * One batch of the SQLite sweep of refresh tokens: looks at the next `batch` tokens after the key
 * `tokensAfter` (in key order) and deletes those that expired. SQLite keeps no index that finds a
 * token by its expiry or its family (each cost a random page written per rotation; schema
 * versions 4 and 5), so the sweep walks the table instead, round and round; an expired token is
 * absent for every read long before it is deleted.
 */
export function* deleteExpiredTokens(
  db: StoreQueryBuilder,
  now: number,
  tokensAfter: string,
  batch = TOKEN_SWEEP_BATCH,
): Operation<TokenSweepBatch> {
  const walked = db
    .selectFrom('cimd_refresh_token')
    .select('token_hash')
    .where('token_hash', '>', tokensAfter)
    .orderBy('token_hash')
    .limit(batch);
  const last = yield* selectFirst(
    db.selectFrom(walked.as('walked')).select((eb) => eb.fn.max('walked.token_hash').as('last')),
  );
  const deleted = yield* execute(
    db.deleteFrom('cimd_refresh_token').where('token_hash', 'in', walked).where('expires_at', '<=', now),
  );
  // Past the last token (nothing left after `tokensAfter`): the next batch starts from the first.
  return { deleted, tokensAfter: typeof last?.last === 'string' ? last.last : '' };
}

/** Where the SQLite token walk goes on: the key the next batch starts after ('' from the first). */
export interface TokenWalk {
  tokensAfter: string;
}

/**
 * One sweep of `db`'s expired rows through `runner`: every table, then, on SQLite, the token walk
 * on from `walk.tokensAfter` (moved on after each batch, so a sweep that fails halfway keeps what
 * it did), a batch per write transaction, until it is round the table or has run
 * {@link TOKEN_SWEEP_MAX_BATCHES} batches.
 */
export async function sweepExpired(
  runner: Pick<SqlRunner, 'write'>,
  db: StoreQueryBuilder,
  now: () => number,
  walk: TokenWalk,
): Promise<void> {
  const walkTokens = dialectOf(db) === 'sqlite';
  await runner.write(() => deleteExpired(db, now(), !walkTokens));
  if (!walkTokens) return;
  for (let batch = 0; batch < TOKEN_SWEEP_MAX_BATCHES; batch++) {
    walk.tokensAfter = (
      await runner.write(() => deleteExpiredTokens(db, now(), walk.tokensAfter))
    ).tokensAfter;
    if (walk.tokensAfter === '') return; // round the table: the next sweep starts a new walk
  }
}
