/**
 * The shared cache: string values under string keys, absent once expired.
 *
 * @module
 */
import { prepare } from './prepared.js';
import { execute, type Operation, selectFirst } from './steps.js';
import type { StoreQueryBuilder } from './tables.js';

const selectValue = prepare((db, a: { key: string; now: number }) =>
  db.selectFrom('cimd_cache').select('value').where('cache_key', '=', a.key).where('expires_at', '>', a.now),
);

const upsertValue = prepare((db, a: { key: string; value: string; expiresAt: number }) =>
  db
    .insertInto('cimd_cache')
    .values({ cache_key: a.key, value: a.value, expires_at: a.expiresAt })
    .onConflict((conflict) =>
      conflict.column('cache_key').doUpdateSet({
        value: (eb) => eb.ref('excluded.value'),
        expires_at: (eb) => eb.ref('excluded.expires_at'),
      }),
    ),
);

/** The unexpired value under `key`, if any. */
export function* cacheGet(db: StoreQueryBuilder, key: string, now: number): Operation<string | undefined> {
  const row = yield* selectFirst(selectValue(db, { key, now }));
  return row?.value;
}

/** Stores `value` under `key` until `now + ttlMs`, replacing what was there. */
export function* cacheSet(
  db: StoreQueryBuilder,
  key: string,
  value: string,
  now: number,
  ttlMs: number,
): Operation<void> {
  yield* execute(upsertValue(db, { key, value, expiresAt: now + ttlMs }));
}

/** Removes `key`. */
export function* cacheDelete(db: StoreQueryBuilder, key: string): Operation<void> {
  yield* execute(db.deleteFrom('cimd_cache').where('cache_key', '=', key));
}
