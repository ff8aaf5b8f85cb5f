/**
 * The part of `cimd serve`'s configuration that says where its data lives: the store
 * (`--store`, `--database` / `DATABASE_URL`), the signing keys (`--signing-keys`, or their default
 * beside the SQLite file or sealed in a shared store), the encryption key given
 * (`--encryption-key-file`, `CIMD_ENCRYPTION_KEY`) and the access token lifetime (how long a
 * retired signing key stays published). `cimd serve` resolves it as part of its configuration;
 * `cimd admin` resolves only this part (no resources, no issuer), from the same flags,
 * environment and config file, so both always open the same store.
 *
 * @module
 */
import { resolve as resolvePath } from 'node:path';
import type { ConfigKey } from './catalog.js';
import {
  DEFAULT_DATABASE,
  defaultSigningKeys,
  parseStoreLocation,
  type SigningKeysConfig,
  type StoreConfig,
} from './database.js';
import type { KeyedProblem } from './errors.js';
import type { ServeSettings } from './schema.js';
import type { Secret } from './secret.js';

/** The options that locate the store and the signing keys (what `cimd admin` takes). */
export const STORE_ACCESS_KEYS = Object.freeze([
  'store',
  'database',
  'signingKeys',
  'encryptionKeyFile',
  'encryptionKey',
  'accessTokenTtl',
] as const satisfies readonly ConfigKey[]);

/** The settings {@link resolveStoreAccess} reads. */
export type StoreAccessSettings = Pick<ServeSettings, (typeof STORE_ACCESS_KEYS)[number]>;

/** Where the data of `cimd serve` lives, as `cimd admin` opens it. */
export interface StoreAccessConfig {
  store: StoreConfig;
  signingKeys: SigningKeysConfig;
  /** The encryption key given (32 bytes) and where it came from; `undefined` when none was given. */
  encryptionKey: { key: Secret<Uint8Array>; source: string } | undefined;
  /** Access token lifetime, in seconds (the server keeps retired signing keys published that long). */
  accessTokenTtlSeconds: number;
}

/** The store `settings` name: memory, or what `--database` names (the default SQLite file). */
export function resolveStore(
  settings: StoreAccessSettings,
  cwd: string,
  problems: KeyedProblem[],
): StoreConfig {
  if (settings.store === 'memory') return { kind: 'memory' };
  const parsed = parseStoreLocation(settings.database ?? DEFAULT_DATABASE, cwd);
  if (!parsed.ok) {
    problems.push({ key: 'database', message: parsed.problem });
    return { kind: 'memory' };
  }
  if (settings.store !== 'sqlite' && parsed.store.kind !== settings.store) {
    problems.push({
      key: 'store',
      message: `--store ${settings.store} needs --database (or DATABASE_URL) to name a ${settings.store} URL`,
    });
  }
  return parsed.store;
}

/** The store and where its signing keys live: `--signing-keys`, or the store's default. */
export function resolveStoreAccess(
  settings: StoreAccessSettings,
  cwd: string,
  problems: KeyedProblem[],
): { store: StoreConfig; signingKeys: SigningKeysConfig } {
  const store = resolveStore(settings, cwd, problems);
  const signingKeys: SigningKeysConfig =
    settings.signingKeys === undefined
      ? defaultSigningKeys(store)
      : { kind: 'file', path: resolvePath(cwd, settings.signingKeys) };
  return { store, signingKeys };
}
