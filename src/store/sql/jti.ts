/**
 * Replay records for client assertion `jti`s (PKJ-09), as one atomic statement.
 *
 * @module
 */
import { prepare } from './prepared.js';
import { execute, type Operation } from './steps.js';
import type { StoreQueryBuilder } from './tables.js';

const upsertJti = prepare((db, a: { clientId: string; jti: string; expiresAt: number; now: number }) =>
  db
    .insertInto('cimd_jti')
    .values({ client_id: a.clientId, jti: a.jti, expires_at: a.expiresAt })
    .onConflict((conflict) =>
      conflict
        .columns(['client_id', 'jti'])
        .doUpdateSet({ expires_at: (eb) => eb.ref('excluded.expires_at') })
        .where('cimd_jti.expires_at', '<=', a.now),
    ),
);

/**
 * Records (`clientId`, `jti`) until `now + ttlMs`; returns true when it was new. An expired
 * record is replaced as if absent. One upsert decides: it inserts, or updates only a row whose
 * `expires_at` has passed, so the affected-row count is 1 exactly when the pair was not live.
 */
export function* recordJti(
  db: StoreQueryBuilder,
  clientId: string,
  jti: string,
  now: number,
  ttlMs: number,
): Operation<boolean> {
  const affected = yield* execute(upsertJti(db, { clientId, jti, expiresAt: now + ttlMs, now }));
  return affected === 1;
}
