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
import type { RateLimitCounter } from '../store/rate-limit.js';
import type { Store } from '../store/store.js';
import { redactUrl, type SigningKeysConfig, type StoreConfig } from './config/database.js';
import { StartupError } from './errors.js';

/** The shortest lifetime the signing keys are kept for, in ms (1 hour). */
const MIN_KEY_TOKEN_LIFETIME_MS = 3_600_000;

/**
 * The token lifetime the signing key manager of a server issuing access tokens for
 * `accessTokenTtlSeconds` works with, in ms: at least 1 hour. A retired key stays published that
 * long (plus the clock skew allowance) after its successor took over.
 */
export function signingKeyTokenLifetimeMs(accessTokenTtlSeconds: number): number {
  return Math.max(accessTokenTtlSeconds * 1000, MIN_KEY_TOKEN_LIFETIME_MS);
}

/**
 * The storage of the signing key set `config` names: a file, memory, or sealed in the shared
 * store (which needs the store and the encryption key).
 *
 * @throws StartupError for the store without an encryption key.
 */
export function openSigningKeyStorage(
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

/** Runs `open`; what it throws becomes a StartupError saying what could not be opened. */
async function opening<T>(what: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    throw new StartupError(`cannot open ${what}: ${(error as Error).message}`);
  }
}

/** Opens the configured store. */
export async function openStore(config: StoreConfig): Promise<Store> {
  switch (config.kind) {
    case 'memory':
      return createMemoryStore();
    case 'postgres':
      return opening(`the PostgreSQL database ${redactUrl(config.url)}`, async () => {
        const { createPostgresStore } = await import('../store/postgres/index.js');
        return createPostgresStore({ connectionString: config.url });
      });
    case 'redis':
      return opening(`the Redis store ${redactUrl(config.url)}`, async () => {
        const { createRedisStore } = await import('../store/redis/index.js');
        return createRedisStore({ url: config.url });
      });
    case 'sqlite':
      return opening(`the SQLite database ${config.path}`, async () => {
        if (config.path !== ':memory:') await mkdir(dirname(config.path), { recursive: true });
        const { createSqliteStore } = await import('../store/sqlite/sqlite-store.js');
        return createSqliteStore({ path: config.path });
      });
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
    tokenLifetimeMs: signingKeyTokenLifetimeMs(accessTokenTtlSeconds),
    storage: openSigningKeyStorage(config, shared),
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

/**
 * The rate-limit counter instances on one Redis share (so N instances do not allow N times the
 * limit), or `undefined` for other stores (each instance then counts in its own memory).
 */
export async function openSharedRateLimitCounter(config: StoreConfig): Promise<RateLimitCounter | undefined> {
  if (config.kind !== 'redis') return undefined;
  return opening(`the rate-limit counter on Redis ${redactUrl(config.url)}`, async () => {
    const { createRedisRateLimitCounter } = await import('../store/redis/index.js');
    return createRedisRateLimitCounter({ url: config.url });
  });
}
