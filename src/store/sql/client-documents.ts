/**
 * Client document history: each (client, fingerprint) pair the server accepted, when it was
 * first and last seen, and what changed against the document before it. Rows never expire.
 *
 * @module
 */
import type { ClientDocumentRecord, ClientSummary } from '../store.js';
import { decodeClientDocument, decodeClientSummary, encodeClientDocument } from './codecs.js';
import { execute, type Operation, selectRows } from './steps.js';
import type { StoreQueryBuilder } from './tables.js';

/** The input of `Store.recordClientDocument`. */
export type ClientDocumentSighting = Omit<ClientDocumentRecord, 'firstSeen' | 'lastSeen'> & {
  seenAt: number;
};

/**
 * Records a sighting; returns true when the pair was new. The insert that does nothing on a
 * conflict decides: of concurrent first sightings exactly one inserts (affected rows 1). A known
 * pair's `last_seen` moves only forward, by an update guarded on the older value.
 */
export function* recordClientDocument(
  db: StoreQueryBuilder,
  sighting: ClientDocumentSighting,
): Operation<boolean> {
  const { seenAt, ...fields } = sighting;
  const inserted = yield* execute(
    db
      .insertInto('cimd_client_document')
      .values(encodeClientDocument({ ...fields, firstSeen: seenAt, lastSeen: seenAt }))
      .onConflict((conflict) => conflict.columns(['client_id', 'fingerprint']).doNothing()),
  );
  if (inserted === 1) return true;
  yield* execute(
    db
      .updateTable('cimd_client_document')
      .set({ last_seen: seenAt })
      .where('client_id', '=', sighting.clientId)
      .where('fingerprint', '=', sighting.fingerprint)
      .where('last_seen', '<', seenAt),
  );
  return false;
}

/** Every document of `clientId`, oldest `first_seen` first (equal times by fingerprint). */
export function* getClientDocuments(
  db: StoreQueryBuilder,
  clientId: string,
): Operation<ClientDocumentRecord[]> {
  const rows = yield* selectRows(
    db
      .selectFrom('cimd_client_document')
      .selectAll()
      .where('client_id', '=', clientId)
      .orderBy('first_seen', 'asc')
      .orderBy('fingerprint', 'asc'),
  );
  return rows.map(decodeClientDocument);
}

/**
 * One page of clients, most recently seen first (equal times by client id), each with its
 * newest document (latest `first_seen`, equal times by the greater fingerprint). One statement:
 * the page is chosen over per-client aggregates, then joined to each client's newest row.
 */
export function* listClientDocuments(
  db: StoreQueryBuilder,
  limit: number,
  offset: number,
): Operation<ClientSummary[]> {
  const clients = db
    .selectFrom('cimd_client_document')
    .select((eb) => [
      'client_id',
      eb.fn.min('first_seen').as('first_seen'),
      eb.fn.max('last_seen').as('last_seen'),
      eb.fn.countAll().as('documents'),
    ])
    .groupBy('client_id')
    .orderBy((eb) => eb.fn.max('last_seen'), 'desc')
    .orderBy('client_id', 'asc')
    .limit(limit)
    .offset(offset)
    .as('s');
  const rows = yield* selectRows(
    db
      .selectFrom(clients)
      .innerJoin('cimd_client_document as d', 'd.client_id', 's.client_id')
      .where('d.fingerprint', '=', (eb) =>
        eb
          .selectFrom('cimd_client_document as x')
          .select('x.fingerprint')
          .whereRef('x.client_id', '=', 's.client_id')
          .orderBy('x.first_seen', 'desc')
          .orderBy('x.fingerprint', 'desc')
          .limit(1),
      )
      .select(['s.client_id', 'd.fingerprint', 'd.client_name', 's.first_seen', 's.last_seen', 's.documents'])
      .orderBy('s.last_seen', 'desc')
      .orderBy('s.client_id', 'asc'),
  );
  return rows.map(decodeClientSummary);
}
