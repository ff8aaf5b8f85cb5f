/**
 * Reading and writing a key set file (JSON, mode 0600, written atomically). Node only.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-file.js';
import { KeySetError } from './errors.js';
import type { KeySet } from './key-set.js';
import { parseKeySet, serializeKeySet } from './key-set-format.js';

/** The default file name of a key set: `cimd-keys.json`. */
export const DEFAULT_KEY_SET_FILE = 'cimd-keys.json';

/**
 * Reads and checks the key set file at `path`.
 *
 * @throws KeySetError `ERR_KEYS_INVALID_FILE` when the file is missing, unreadable, not JSON or
 *   not a valid key set (the message says which).
 */
export async function loadKeySet(path: string): Promise<KeySet> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new KeySetError(
      'ERR_KEYS_INVALID_FILE',
      missing
        ? `there is no key set at ${path}; create one with cimd keys generate (or pass --keys <file>)`
        : `cannot read the key set ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new KeySetError('ERR_KEYS_INVALID_FILE', `the key set ${path} is not valid JSON`, { cause: error });
  }
  try {
    return await parseKeySet(value);
  } catch (error) {
    if (error instanceof KeySetError) {
      throw new KeySetError('ERR_KEYS_INVALID_FILE', `${path}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/**
 * Writes `set` to `path` atomically, readable and writable by the owner only (mode 0600). The
 * file holds private keys: keep it out of version control and out of any public folder.
 *
 * @throws KeySetError `ERR_KEYS_INVALID_FILE` when `set` is not a valid key set (nothing is written).
 */
export async function saveKeySet(path: string, set: KeySet): Promise<void> {
  const text = serializeKeySet(set);
  await parseKeySet(JSON.parse(text)); // never write a file that would not load
  await writeFileAtomic(path, text, { mode: 0o600 });
}
