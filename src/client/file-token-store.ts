/**
 * A {@link TokenStore} in one JSON file in the per-user configuration folder: the folder is
 * created with mode 0700, the file is written atomically with mode 0600 (a reader sees the old
 * file or the new one, never half of one), and writes in one process are serialised. Tokens are
 * secrets: the file is for this user only (MCP-C-23).
 *
 * @module
 */
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../keys/atomic-file.js';
import { defaultConfigDir } from './config-dir.js';
import type { TokenStore } from './token-store.js';

/** The file name of the credential file in the configuration folder. */
export const CREDENTIALS_FILE_NAME = 'credentials.json';

const FORMAT_VERSION = 1;

/** Options of {@link FileTokenStore}. */
export interface FileTokenStoreOptions {
  /** The folder; default {@link defaultConfigDir} (e.g. `~/.config/mcp-cimd`). Created with mode 0700. */
  dir?: string;
  /** The file name in the folder; default {@link CREDENTIALS_FILE_NAME}. */
  fileName?: string;
}

interface CredentialFile {
  version: number;
  entries: Record<string, unknown>;
}

/** A token store in a file only this user can read. */
export class FileTokenStore implements TokenStore {
  /** The folder that holds the file. */
  readonly dir: string;
  /** The full path of the file. */
  readonly path: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: FileTokenStoreOptions = {}) {
    this.dir = options.dir ?? defaultConfigDir();
    this.path = join(this.dir, options.fileName ?? CREDENTIALS_FILE_NAME);
  }

  async get(key: string): Promise<unknown> {
    await this.#queue.catch(() => {});
    const file = await this.#read();
    return Object.hasOwn(file.entries, key) ? file.entries[key] : undefined;
  }

  set(key: string, value: unknown): Promise<void> {
    return this.#update((entries) => {
      entries[key] = JSON.parse(JSON.stringify(value)) as unknown;
    });
  }

  delete(key: string): Promise<void> {
    return this.#update((entries) => {
      delete entries[key];
    });
  }

  /** Runs one read-modify-write after the ones before it. */
  #update(change: (entries: Record<string, unknown>) => void): Promise<void> {
    const run = this.#queue
      .catch(() => {})
      .then(async () => {
        const file = await this.#read();
        change(file.entries);
        await this.#write(file);
      });
    this.#queue = run;
    return run;
  }

  async #read(): Promise<CredentialFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: FORMAT_VERSION, entries: {} };
      throw new Error(`cannot read the credential file ${this.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new Error(`the credential file ${this.path} is not valid JSON; delete it to sign in again.`, {
        cause: error,
      });
    }
    const record = value as Partial<CredentialFile> | null;
    if (
      record === null ||
      typeof record !== 'object' ||
      record.version !== FORMAT_VERSION ||
      typeof record.entries !== 'object' ||
      record.entries === null
    ) {
      throw new Error(
        `the credential file ${this.path} is not in a format this version knows; delete it to sign in again.`,
      );
    }
    return { version: FORMAT_VERSION, entries: { ...record.entries } };
  }

  async #write(file: CredentialFile): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  }
}
