/**
 * Deletion of expired rows, run periodically by the SQL store. Reads already treat expired rows
 * as absent, so this only reclaims space.
 *
 * @module
 */
import { execute, type Operation } from './steps.js';
import type { StoreQueryBuilder } from './tables.js';

/** Deletes every row whose `expires_at` has passed; returns how many. */
export function* deleteExpired(db: StoreQueryBuilder, now: number): Operation<number> {
  let deleted = 0;
  deleted += yield* execute(db.deleteFrom('cimd_jti').where('expires_at', '<=', now));
  deleted += yield* execute(db.deleteFrom('cimd_code').where('expires_at', '<=', now));
  // A token expires with its family (schema version 4 dropped the tokens' own expiry index).
  const expiredFamilies = db
    .selectFrom('cimd_refresh_family')
    .select('family_id')
    .where('expires_at', '<=', now);
  deleted += yield* execute(db.deleteFrom('cimd_refresh_token').where('family_id', 'in', expiredFamilies));
  deleted += yield* execute(db.deleteFrom('cimd_refresh_family').where('expires_at', '<=', now));
  deleted += yield* execute(db.deleteFrom('cimd_revoked_grant').where('expires_at', '<=', now));
  deleted += yield* execute(db.deleteFrom('cimd_consent').where('expires_at', '<=', now));
  deleted += yield* execute(db.deleteFrom('cimd_cache').where('expires_at', '<=', now));
  deleted += yield* execute(db.deleteFrom('cimd_lock').where('expires_at', '<=', now));
  return deleted;
}
