/**
 * Where the server's signing key set lives between restarts: a tiny pluggable interface, an
 * in-memory implementation (the default: keys last as long as the process) and a file
 * implementation (owner-only mode 0600, replaced atomically).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Persistence for the serialized signing key set. The text holds private keys: an
 * implementation must keep it readable by the server alone.
 */
export interface SigningKeyStorage {
  /** The last saved text, or `undefined` when nothing was saved yet. */
  load(): Promise<string | undefined>;
  /** Replaces the saved text. */
  save(serialized: string): Promise<void>;
  /**
   * Runs `task` (a reload, a rotation and its save) while no other manager sharing this storage
   * runs one: a lock across processes. Optional; without it, managers sharing a storage may
   * both rotate at the same instant (the last save wins).
   */
  exclusive?<T>(task: () => Promise<T>): Promise<T>;
}

/** Storage in memory: lost when the process exits (every token it signed then fails to verify). */
export function memorySigningKeyStorage(): SigningKeyStorage {
  let saved: string | undefined;
  return {
    load: () => Promise.resolve(saved),
    save: (serialized) => {
      saved = serialized;
      return Promise.resolve();
    },
  };
}

/** The file mode of the key file: read and write for the owner only. */
export const SIGNING_KEY_FILE_MODE = 0o600;

/**
 * Storage in one file at `path`. Each save writes a temporary file (mode 0600) in the same
 * directory, flushes it and renames it over `path`, so a reader sees the old set or the new
 * one, never half of either. A missing parent directory is created with mode 0700.
 */
export function fileSigningKeyStorage(path: string): SigningKeyStorage {
  return {
    async load() {
      try {
        return await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async save(serialized) {
      const directory = dirname(path);
      await mkdir(directory, { recursive: true, mode: 0o700 });
      const temporary = join(directory, `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
      try {
        const handle = await open(temporary, 'wx', SIGNING_KEY_FILE_MODE);
        try {
          await handle.writeFile(serialized, 'utf8');
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temporary, path);
      } catch (error) {
        await unlink(temporary).catch(() => undefined);
        throw error;
      }
    },
  };
}
