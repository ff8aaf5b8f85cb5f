/**
 * Where the key that encrypts upstream tokens at rest comes from: `--encryption-key-file` or
 * `CIMD_ENCRYPTION_KEY` when given; otherwise, when an upstream provider needs one, a key file
 * beside the SQLite database (`<name>.encryption.key`, generated with mode 0600 the first time
 * and reused after), or, with an in-memory store, an ephemeral key (warned about at start).
 * A shared store (PostgreSQL, Redis) always needs one given: it seals the server's signing keys
 * there, and every instance must hold the same key, so none is ever generated for it.
 *
 * @module
 */
import { basename, dirname, extname, join } from 'node:path';
import { isSharedStore, type StoreConfig } from './database.js';
import type { Secret } from './secret.js';

/** The encryption key of `cimd serve`. */
export type EncryptionKeyConfig =
  /** Given: its 32 bytes, and where they came from (`CIMD_ENCRYPTION_KEY` or the file's path). */
  | { kind: 'given'; key: Secret<Uint8Array>; source: string }
  /** A file beside the database, generated (mode 0600) when missing. */
  | { kind: 'file'; path: string }
  /** A new random key at every start: what it encrypted cannot be read after a restart. */
  | { kind: 'ephemeral' }
  /** Nothing needs one (no upstream provider) and none was given. */
  | { kind: 'none' };

/** The key file beside the SQLite file at `databasePath`: `./cimd.sqlite` gives `./cimd.encryption.key`. */
export function defaultEncryptionKeyFile(databasePath: string): string {
  return join(dirname(databasePath), `${basename(databasePath, extname(databasePath))}.encryption.key`);
}

/** The problem a shared store without a given encryption key reports at start. */
export const SHARED_STORE_NEEDS_KEY =
  'a shared store (PostgreSQL or Redis) needs --encryption-key-file <file> or CIMD_ENCRYPTION_KEY: the server seals its signing keys in the store with it, and every instance must use the same key (make one with `openssl rand -base64 32`)';

/**
 * Where the key comes from (see the module documentation). `undefined` when a shared store has
 * none given (a start-up error: {@link SHARED_STORE_NEEDS_KEY}).
 */
export function resolveEncryptionKey(
  given: { key: Secret<Uint8Array>; source: string } | undefined,
  store: StoreConfig,
  needed: boolean,
): EncryptionKeyConfig | undefined {
  if (given !== undefined) return { kind: 'given', ...given };
  if (isSharedStore(store)) return undefined;
  if (!needed) return { kind: 'none' };
  if (store.kind === 'memory' || store.path === ':memory:') return { kind: 'ephemeral' };
  return { kind: 'file', path: defaultEncryptionKeyFile(store.path) };
}
