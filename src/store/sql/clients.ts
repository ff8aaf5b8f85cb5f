/**
 * Registered clients: saved (inserted or replaced) and read by id.
 *
 * @module
 */
import type { RegisteredClientRecord } from '../store.js';
import { decodeClient, encodeClient } from './codecs.js';
import { prepare } from './prepared.js';
import { execute, type Operation, selectFirst } from './steps.js';
import type { StoreQueryBuilder } from './tables.js';

/** Inserts or replaces a client. */
export function* saveClient(db: StoreQueryBuilder, client: RegisteredClientRecord): Operation<void> {
  yield* execute(
    db
      .insertInto('cimd_client')
      .values(encodeClient(client))
      .onConflict((conflict) =>
        conflict.column('client_id').doUpdateSet({
          metadata: (eb) => eb.ref('excluded.metadata'),
          created_at: (eb) => eb.ref('excluded.created_at'),
        }),
      ),
  );
}

const selectClient = prepare((db, a: { clientId: string }) =>
  db.selectFrom('cimd_client').selectAll().where('client_id', '=', a.clientId),
);

/** The client with `clientId`, if saved. */
export function* getClient(
  db: StoreQueryBuilder,
  clientId: string,
): Operation<RegisteredClientRecord | undefined> {
  const row = yield* selectFirst(selectClient(db, { clientId }));
  return row === undefined ? undefined : decodeClient(row);
}
