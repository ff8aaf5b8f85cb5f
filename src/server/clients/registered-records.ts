/**
 * A short-lived, in-process copy of registered clients' store records. A registered client's
 * record is read on every token and authorization request; with a network store (PostgreSQL,
 * Redis) that read was one round trip of each refresh grant. Records change only when replaced
 * with `Store.saveClient`, so a copy is kept for {@link DEFAULT_REGISTERED_CLIENT_TTL_MS}: a
 * replaced record is in use everywhere within that time. Absent clients are never remembered (a
 * client registered a moment ago on another instance is found at once).
 *
 * @module
 */
import type { RegisteredClientRecord, Store } from '../../store/store.js';

/** How long a registered client's record is reused before it is read again, in ms (1 s). */
export const DEFAULT_REGISTERED_CLIENT_TTL_MS = 1_000;

/** The most records kept; past it the oldest copy is dropped. */
const MAX_RECORDS = 10_000;

/** Reads registered clients' records through a short-lived copy; see the module documentation. */
export type RegisteredRecordReader = (clientId: string) => Promise<RegisteredClientRecord | undefined>;

/**
 * A reader of `store`'s client records that reuses each found record for `ttlMs` (0: every call
 * reads the store) by the clock `now` (epoch ms).
 */
export function createRegisteredRecordReader(
  store: Pick<Store, 'getClient'>,
  ttlMs: number,
  now: () => number,
): RegisteredRecordReader {
  const copies = new Map<string, { record: RegisteredClientRecord; until: number }>();
  return async (clientId) => {
    const copy = copies.get(clientId);
    if (copy !== undefined && copy.until > now()) return copy.record;
    const record = await store.getClient(clientId);
    // Deleted first so a kept copy is re-inserted last: the oldest copy is the first key.
    copies.delete(clientId);
    if (record === undefined || ttlMs === 0) return record;
    copies.set(clientId, { record, until: now() + ttlMs });
    if (copies.size > MAX_RECORDS) copies.delete(copies.keys().next().value as string);
    return record;
  };
}
