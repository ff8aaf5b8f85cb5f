/**
 * The server's signing key set kept in the shared {@link Store}, so every instance signs with
 * and publishes the same keys. The set holds private keys: it is sealed (AES-256-GCM, see
 * {@link SecretBox}) before it reaches the store, and a rotation runs under a store lock so one
 * instance rotates at a time while the others adopt its result.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { CimdError } from '../../errors.js';
import type { Store } from '../../store/store.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { SigningKeyStorage } from './signing-key-storage.js';

/** The state name the sealed set is kept under. */
export const SIGNING_KEYS_STATE = 'signing-keys';
/** The lock name a rotation holds. */
export const SIGNING_KEYS_LOCK = 'signing-keys-rotation';
/** The context the set is sealed for: a value sealed for anything else does not open as keys. */
const SEAL_CONTEXT = 'cimd/signing-keys/v1';

/** Options of {@link storeSigningKeyStorage}. */
export interface StoreSigningKeyStorageOptions {
  /** The shared store. */
  store: Store;
  /** Seals the set at rest (the server's encryption key). */
  box: SecretBox;
  /** How long a rotation may hold the lock before another instance may take it, in ms. Default 30 000. */
  lockTtlMs?: number;
  /** How long to wait for another instance's rotation to finish, in ms. Default 15 000. */
  lockWaitMs?: number;
  /** The pause between attempts to take a held lock, in ms. Default 50. */
  lockPollMs?: number;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Signing key storage in the shared store: loads and saves the sealed set with compare-and-set
 * (a save over a set another instance wrote meanwhile fails with `ERR_STORE_CONFLICT` rather
 * than losing its key), and `exclusive` runs a rotation under the store lock
 * {@link SIGNING_KEYS_LOCK}.
 */
export function storeSigningKeyStorage(options: StoreSigningKeyStorageOptions): SigningKeyStorage {
  const { store, box } = options;
  const lockTtlMs = options.lockTtlMs ?? 30_000;
  const lockWaitMs = options.lockWaitMs ?? 15_000;
  const lockPollMs = options.lockPollMs ?? 50;
  const owner = randomUUID();
  /** The sealed value last loaded or saved: what a save expects to replace (`null`: nothing yet). */
  let lastSealed: string | null = null;

  return {
    async load() {
      const sealed = await store.getState(SIGNING_KEYS_STATE);
      lastSealed = sealed ?? null;
      if (sealed === undefined) return undefined;
      return box.open(sealed, SEAL_CONTEXT);
    },
    async save(serialized) {
      const sealed = await box.seal(serialized, SEAL_CONTEXT);
      if (!(await store.putState(SIGNING_KEYS_STATE, sealed, lastSealed))) {
        throw new CimdError(
          'ERR_STORE_CONFLICT',
          'another instance changed the signing keys in the store meanwhile; load them again',
        );
      }
      lastSealed = sealed;
    },
    async exclusive(task) {
      const deadline = Date.now() + lockWaitMs;
      while (!(await store.acquireLock(SIGNING_KEYS_LOCK, owner, lockTtlMs))) {
        if (Date.now() >= deadline) {
          throw new CimdError(
            'ERR_STORE_CONFLICT',
            `another instance held the signing-key rotation lock for over ${lockWaitMs} ms`,
          );
        }
        await delay(lockPollMs);
      }
      try {
        return await task();
      } finally {
        await store.releaseLock(SIGNING_KEYS_LOCK, owner);
      }
    },
  };
}
