/**
 * A verified client assertion's `jti` whose recording (PKJ-09) the verifier left to the request:
 * a refresh grant records it in the same atomic store step as its rotation
 * (`Store.recordJtiAndRotate`, one round trip instead of two). It stays pending until a store
 * step has recorded it: the grant settles it on its own before anything it does would change
 * state (revoking a family whose key left), and the token endpoint settles it when the request
 * ends without the rotation having answered (a refusal before it, or a store error in it), so an
 * assertion is single-use even when the request it came with failed, and a replayed one changes
 * nothing.
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

  /** The record while it is pending (not yet recorded), else `undefined`. */
  get record(): JtiRecord | undefined {
    return this.#record;
  }

  /**
   * Marks it recorded by a store step that took it (`recordJtiAndRotate` resolved, whatever its
   * outcome). Call it only once that step has answered: a step that failed may have recorded
   * nothing, and the record must then stay pending for {@link settle}.
   */
  markRecorded(): void {
    this.#record = undefined;
  }

  /**
   * Records the `jti` now unless it was recorded before (then does nothing).
   *
   * @throws InvalidClientError (marked as a replay) when it was already recorded; the store's own
   *   errors as they are (it then stays pending).
   */
  async settle(store: Pick<Store, 'recordJti'>): Promise<void> {
    const record = this.#record;
    if (record === undefined) return;
    await recordAssertionJti(store, record);
    this.#record = undefined;
  }
}
