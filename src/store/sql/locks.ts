/**
 * Named locks with an expiry: one owner at a time, taken and extended by one upsert.
 *
 * @module
 */
import { execute, type Operation } from './steps.js';
import type { StoreQueryBuilder } from './tables.js';

/**
 * Takes `name` for `owner` until `now + ttlMs`; returns whether it did. The upsert inserts a free
 * lock, or updates only a row that has expired or is already `owner`'s, so its affected-row count
 * is 1 exactly when the caller holds the lock afterwards; of concurrent callers for a free lock
 * one inserts and the others find a live row of another owner.
 */
export function* acquireLock(
  db: StoreQueryBuilder,
  name: string,
  owner: string,
  now: number,
  ttlMs: number,
): Operation<boolean> {
  const affected = yield* execute(
    db
      .insertInto('cimd_lock')
      .values({ name, owner, expires_at: now + ttlMs })
      .onConflict((conflict) =>
        conflict
          .column('name')
          .doUpdateSet({
            owner: (eb) => eb.ref('excluded.owner'),
            expires_at: (eb) => eb.ref('excluded.expires_at'),
          })
          .where((eb) =>
            eb.or([
              eb('cimd_lock.expires_at', '<=', now),
              eb('cimd_lock.owner', '=', eb.ref('excluded.owner')),
            ]),
          ),
      ),
  );
  return affected === 1;
}

/** Releases `name` when `owner` holds it; does nothing otherwise. */
export function* releaseLock(db: StoreQueryBuilder, name: string, owner: string): Operation<void> {
  yield* execute(db.deleteFrom('cimd_lock').where('name', '=', name).where('owner', '=', owner));
}
