/**
 * Opens the store and the signing keys `cimd serve` runs with: memory, a SQLite file (its folder
 * created when missing; the driver loaded only then), PostgreSQL or Redis; and the key set in
 * memory, in a file (mode 0600), or sealed in the shared store, loaded (or generated) at once so
 * a bad file or a wrong encryption key fails at startup.
 *
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecretBox } from '../server/secrets/secret-box.js';
import {
  fileSigningKeyStorage,
  memorySigningKeyStorage,
  type SigningKeyStorage,
} from '../server/tokens/signing-key-storage.js';
import { createSigningKeyManager, type SigningKeyManager } from '../server/tokens/signing-keys.js';
import { storeSigningKeyStorage } from '../server/tokens/store-signing-key-storage.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import type { Store } from '../store/store.js';
import { redactUrl, type SigningKeysConfig, type StoreConfig } from './config/database.js';
import { StartupError } from './errors.js';

/** The shortest lifetime the signing keys are kept for, in ms (1 hour). */
const MIN_KEY_TOKEN_LIFETIME_MS = 3_600_000;

function signingKeyStorage(
  config: SigningKeysConfig,
  shared: { store: Store; encryptionKey: Uint8Array | undefined } | undefined,
): SigningKeyStorage {
  if (config.kind === 'file') return fileSigningKeyStorage(config.path);
  if (config.kind === 'memory') return memorySigningKeyStorage();
  if (shared?.encryptionKey === undefined) {
    throw new StartupError('signing keys in the store need the store and an encryption key');
  }
  return storeSigningKeyStorage({ store: shared.store, box: createSecretBox(shared.encryptionKey) });
}

/** Opens the configured store. */
export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.kind === 'memory') return createMemoryStore();
  if (config.kind === 'postgres') {
    try {
      const { createPostgresStore } = await import('../store/postgres/index.js');
      return await createPostgresStore({ connectionString: config.url });
    } catch (error) {
      throw new StartupError(
        `cannot open the PostgreSQL database ${redactUrl(config.url)}: ${(error as Error).message}`,
      );
    }
  }
  if (config.kind === 'redis') {
    try {
      const { createRedisStore } = await import('../store/redis/index.js');
      return await createRedisStore({ url: config.url });
    } catch (error) {
      throw new StartupError(
        `cannot open the Redis store ${redactUrl(config.url)}: ${(error as Error).message}`,
      );
    }
  }
  try {
    if (config.path !== ':memory:') await mkdir(dirname(config.path), { recursive: true });
    const { createSqliteStore } = await import('../store/sqlite/sqlite-store.js');
    return await createSqliteStore({ path: config.path });
  } catch (error) {
    throw new StartupError(`cannot open the SQLite database ${config.path}: ${(error as Error).message}`);
  }
}

/**
 * The signing key manager for access tokens living `accessTokenTtlSeconds`, with its key set
 * loaded (or generated and saved) now.
 */
export async function openSigningKeys(
  config: SigningKeysConfig,
  accessTokenTtlSeconds: number,
  shared?: { store: Store; encryptionKey: Uint8Array | undefined },
): Promise<SigningKeyManager> {
  const manager = createSigningKeyManager({
    tokenLifetimeMs: Math.max(accessTokenTtlSeconds * 1000, MIN_KEY_TOKEN_LIFETIME_MS),
    storage: signingKeyStorage(config, shared),
  });
  try {
    await manager.publicJwks();
  } catch (error) {
    const where = config.kind === 'file' ? config.path : config.kind === 'store' ? 'the store' : 'memory';
    throw new StartupError(`cannot load the signing keys (${where}): ${(error as Error).message}`);
  }
  return manager;
}

/** What the `listening` log line says of the store: never a password. */
export function describeStore(config: StoreConfig): Record<string, unknown> {
  switch (config.kind) {
    case 'memory':
      return { kind: 'memory' };
    case 'sqlite':
      return { kind: 'sqlite', path: config.path };
    default:
      return { kind: config.kind, url: redactUrl(config.url) };
  }
}
