/**
 * Remembered consents (CIMD-AS-19): one per (user, client), replaced on save, absent once
 * expired.
 *
 * @module
 */
import type { ConsentRecord } from '../store.js';
import { decodeConsent, encodeConsent } from './codecs.js';
import { execute, type Operation, selectFirst } from './steps.js';
import type { StoreQueryBuilder } from './tables.js';

/** Inserts or replaces the consent of `consent.userId` for `consent.clientId`. */
export function* saveConsent(db: StoreQueryBuilder, consent: ConsentRecord): Operation<void> {
  yield* execute(
    db
      .insertInto('cimd_consent')
      .values(encodeConsent(consent))
      .onConflict((conflict) =>
        conflict.columns(['user_id', 'client_id']).doUpdateSet({
          scopes: (eb) => eb.ref('excluded.scopes'),
          resources: (eb) => eb.ref('excluded.resources'),
          client_fingerprint: (eb) => eb.ref('excluded.client_fingerprint'),
          granted_at: (eb) => eb.ref('excluded.granted_at'),
          expires_at: (eb) => eb.ref('excluded.expires_at'),
        }),
      ),
  );
}

/** The unexpired consent of `userId` for `clientId`, if any. */
export function* getConsent(
  db: StoreQueryBuilder,
  userId: string,
  clientId: string,
  now: number,
): Operation<ConsentRecord | undefined> {
  const row = yield* selectFirst(
    db
      .selectFrom('cimd_consent')
      .selectAll()
      .where('user_id', '=', userId)
      .where('client_id', '=', clientId)
      .where('expires_at', '>', now),
  );
  return row === undefined ? undefined : decodeConsent(row);
}

/** Forgets the consent of `userId` for `clientId`. */
export function* revokeConsent(db: StoreQueryBuilder, userId: string, clientId: string): Operation<void> {
  yield* execute(
    db.deleteFrom('cimd_consent').where('user_id', '=', userId).where('client_id', '=', clientId),
  );
}
