/**
 * A verified client assertion's `jti` whose recording (PKJ-09) the verifier left to the request:
 * a refresh grant records it in the same atomic store step as its rotation
 * (`Store.recordJtiAndRotate`, one round trip instead of two). Whatever the request does, the
 * `jti` is recorded exactly once: either taken for that store step, or settled on its own when
 * the request ends without one (a refusal before the rotation), so an assertion is single-use
 * even when the request it came with failed.
 *
 * @module
 */
import type { JtiRecord, Store } from '../../store/store.js';
import { markReplay } from '../events.js';
import { InvalidClientError } from '../oauth-errors.js';

/** The `invalid_client` refusal of an assertion whose `jti` was used before (PKJ-09), marked as a replay. */
export function assertionReplayed(clientId: string): InvalidClientError {
  return markReplay(
    new InvalidClientError(
      'this client_assertion was already used (its jti was seen before); sign a new one, with a fresh jti, for every request',
    ),
    'jti',
    clientId,
  );
}

/**
 * Records `record` in `store`.
 *
 * @throws InvalidClientError (marked as a replay) when the `jti` was already recorded; the
 *   store's own errors as they are.
 */
export async function recordAssertionJti(store: Pick<Store, 'recordJti'>, record: JtiRecord): Promise<void> {
  if (!(await store.recordJti(record.clientId, record.jti, record.ttlMs))) {
    throw assertionReplayed(record.clientId);
  }
}

/** A `jti` not recorded yet; see the module description. */
export class PendingJti {
  #record: JtiRecord | undefined;

  constructor(record: JtiRecord) {
    this.#record = Object.freeze({ ...record });
  }

  /**
   * The record, for a store call that records it; `undefined` once taken or settled. The taker
   * must refuse the request as a replay when the store says the `jti` was not new.
   */
  take(): JtiRecord | undefined {
    const record = this.#record;
    this.#record = undefined;
    return record;
  }

  /**
   * Records the `jti` now unless it was taken or settled before (then does nothing).
   *
   * @throws InvalidClientError (marked as a replay) when it was already recorded.
   */
  async settle(store: Pick<Store, 'recordJti'>): Promise<void> {
    const record = this.take();
    if (record !== undefined) await recordAssertionJti(store, record);
  }
}
