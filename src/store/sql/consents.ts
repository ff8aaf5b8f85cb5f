/**
 * Remembered consents (CIMD-AS-19): one per (user, client), replaced on save, absent once
 * expired.
 *
 * @module
 */
import type { ResolvedPage } from '../paging.js';
import type { ConsentRecord, GrantFilter } from '../store.js';
import { decodeConsent, encodeConsent } from './codecs.js';
import { execute, type Operation, selectFirst, selectRows } from './steps.js';
import type { StoreQueryBuilder } from './tables.js';

/**
 * Inserts or replaces the consent of `consent.userId` for `consent.clientId`. A consent without
 * `clientIdentity` never names its column (schema version 3), so it can be saved before the
 * migration; an identity left from an earlier save is not read back (it names another fingerprint).
 */
export function* saveConsent(db: StoreQueryBuilder, consent: ConsentRecord): Operation<void> {
  const row = encodeConsent(consent);
  yield* execute(
    db
      .insertInto('cimd_consent')
      .values(row)
      .onConflict((conflict) =>
        conflict.columns(['user_id', 'client_id']).doUpdateSet((eb) => ({
          scopes: eb.ref('excluded.scopes'),
          resources: eb.ref('excluded.resources'),
          client_fingerprint: eb.ref('excluded.client_fingerprint'),
          granted_at: eb.ref('excluded.granted_at'),
          expires_at: eb.ref('excluded.expires_at'),
          ...(row.client_identity === undefined
            ? {}
            : { client_identity: eb.ref('excluded.client_identity') }),
        })),
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

/** One page of the unexpired consents matching `filter`, newest `granted_at` first. */
export function* listConsents(
  db: StoreQueryBuilder,
  filter: GrantFilter,
  page: ResolvedPage,
  now: number,
): Operation<ConsentRecord[]> {
  let query = db.selectFrom('cimd_consent').selectAll().where('expires_at', '>', now);
  if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId);
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
  const rows = yield* selectRows(
    query
      .orderBy('granted_at', 'desc')
      .orderBy('client_id', 'asc')
      .orderBy('user_id', 'asc')
      .limit(page.limit)
      .offset(page.offset),
  );
  return rows.map(decodeConsent);
}
