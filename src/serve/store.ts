/**
 * Opens the store and the signing keys `cimd serve` runs with: memory, or a SQLite file (its
 * folder created when missing; the driver loaded only then), and the key set in memory or in a
 * file (mode 0600), loaded (or generated) at once so a bad file fails at startup.
 *
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileSigningKeyStorage, memorySigningKeyStorage } from '../server/tokens/signing-key-storage.js';
import { createSigningKeyManager, type SigningKeyManager } from '../server/tokens/signing-keys.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import type { Store } from '../store/store.js';
import type { SigningKeysConfig, StoreConfig } from './config/database.js';
import { StartupError } from './errors.js';

/** The shortest lifetime the signing keys are kept for, in ms (1 hour). */
const MIN_KEY_TOKEN_LIFETIME_MS = 3_600_000;

/** Opens the configured store. */
export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.kind === 'memory') return createMemoryStore();
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
): Promise<SigningKeyManager> {
  const manager = createSigningKeyManager({
    tokenLifetimeMs: Math.max(accessTokenTtlSeconds * 1000, MIN_KEY_TOKEN_LIFETIME_MS),
    storage: config.kind === 'file' ? fileSigningKeyStorage(config.path) : memorySigningKeyStorage(),
  });
  try {
    await manager.publicJwks();
  } catch (error) {
    const where = config.kind === 'file' ? config.path : 'memory';
    throw new StartupError(`cannot load the signing keys (${where}): ${(error as Error).message}`);
  }
  return manager;
}
