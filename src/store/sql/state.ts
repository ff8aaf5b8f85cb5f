/**
 * Durable server values, written with compare-and-set so two instances cannot both replace one.
 *
 * @module
 */
import { execute, type Operation, selectFirst } from './steps.js';
import type { StoreQueryBuilder } from './tables.js';

/** The value of `name`, if any. */
export function* getState(db: StoreQueryBuilder, name: string): Operation<string | undefined> {
  const row = yield* selectFirst(db.selectFrom('cimd_state').select('value').where('name', '=', name));
  return row?.value;
}

/**
 * Writes `value` under `name`; returns whether it wrote. Without `expected` an upsert always
 * writes. With `null` an insert that does nothing on a conflict writes only when there is no
 * value; with a string an update guarded on that value writes only over it. Either way one
 * statement's affected-row count decides, so of concurrent writers expecting the same value
 * exactly one wins (under PostgreSQL READ COMMITTED the guard is re-checked on the row a
 * concurrent winner committed).
 */
export function* putState(
  db: StoreQueryBuilder,
  name: string,
  value: string,
  expected: string | null | undefined,
): Operation<boolean> {
  if (expected === undefined) {
    yield* execute(
      db
        .insertInto('cimd_state')
        .values({ name, value })
        .onConflict((conflict) =>
          conflict.column('name').doUpdateSet({ value: (eb) => eb.ref('excluded.value') }),
        ),
    );
    return true;
  }
  if (expected === null) {
    const inserted = yield* execute(
      db
        .insertInto('cimd_state')
        .values({ name, value })
        .onConflict((conflict) => conflict.column('name').doNothing()),
    );
    return inserted === 1;
  }
  const updated = yield* execute(
    db.updateTable('cimd_state').set({ value }).where('name', '=', name).where('value', '=', expected),
  );
  return updated === 1;
}
