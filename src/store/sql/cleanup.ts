/**
 * Deletion of expired rows, run periodically by the SQL store. Reads already treat expired rows
 * as absent, so this only reclaims space.
 *
 * @module
 */
import { execute, type Operation, selectFirst } from './steps.js';
import { dialectOf, type StoreQueryBuilder } from './tables.js';

/** How many refresh tokens one sweep looks at on SQLite, at most. */
export const TOKEN_SWEEP_BATCH = 10_000;

/** What a sweep did, and where the next one goes on in the SQLite token walk. */
export interface SweepResult {
  /** Rows deleted. */
  deleted: number;
  /** The token key the next sweep starts after ('' to start from the first). */
  tokensAfter: string;
}

/**
 * Deletes every row whose `expires_at` has passed, except refresh tokens on SQLite: there, one
 * sweep looks at the next `batch` tokens after the key `tokensAfter` (in key order, so the walk
 * goes round the whole table over successive sweeps) and deletes those among them that expired.
 * SQLite keeps no index that finds a token by its expiry or its family (each cost a random page
 * written per rotation; schema versions 4 and 5), and an expired token is absent for every read
 * long before it is deleted. PostgreSQL deletes the tokens of expired families through its
 * `family_id` index.
 */
export function* deleteExpired(
  db: StoreQueryBuilder,
  now: number,
  tokensAfter = '',
  batch = TOKEN_SWEEP_BATCH,
): Operation<SweepResult> {
  let deleted = 0;
  deleted += yield* execute(db.deleteFrom('cimd_jti').where('expires_at', '<=', now));
  deleted += yield* execute(db.deleteFrom('cimd_code').where('expires_at', '<=', now));
  let next = '';
  if (dialectOf(db) === 'sqlite') {
    const walked = db
      .selectFrom('cimd_refresh_token')
      .select('token_hash')
      .where('token_hash', '>', tokensAfter)
      .orderBy('token_hash')
      .limit(batch);
    const last = yield* selectFirst(
      db.selectFrom(walked.as('walked')).select((eb) => eb.fn.max('walked.token_hash').as('last')),
    );
    deleted += yield* execute(
      db.deleteFrom('cimd_refresh_token').where('token_hash', 'in', walked).where('expires_at', '<=', now),
    );
    // Past the last token: the next sweep starts again from the first.
    next = typeof last?.last === 'string' ? last.last : '';
  } else {
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
  return { deleted, tokensAfter: next };
}
