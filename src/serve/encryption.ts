/**
 * The encryption key `cimd serve` starts with (see `config/encryption-key.ts` for where it comes
 * from). The key file beside the database is created exclusively (written to a temporary file
 * with mode 0600, then hard-linked into place, which fails if another process made one first),
 * so two processes starting at once agree on one key.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { generateEncryptionKey, parseEncryptionKey } from '../server/secrets/secret-box.js';
import type { EncryptionKeyConfig } from './config/encryption-key.js';
import { StartupError } from './errors.js';

/** The key, and what happened to find it (for the `listening` line). */
export interface OpenedEncryptionKey {
  /** 32 bytes; `undefined` when none is configured or needed. */
  key: Uint8Array | undefined;
  /** For the logs: where the key is, never the key. */
  description: Record<string, unknown>;
}

async function readKeyFile(path: string): Promise<Uint8Array | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StartupError(`cannot read the encryption key file ${path}: ${(error as Error).message}`);
  }
  try {
    return parseEncryptionKey(text);
  } catch (error) {
    throw new StartupError(
      `the encryption key file ${path} is not a valid key: ${(error as Error).message}. Restore the key it held (upstream tokens sealed with it cannot be read with another), or remove the file to generate a new one`,
    );
  }
}

/** Creates `path` with a new key unless it exists; returns whether this call created it. */
async function createKeyFile(path: string): Promise<boolean> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, `${generateEncryptionKey()}\n`, { mode: 0o600, flag: 'wx' });
    await link(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new StartupError(`cannot create the encryption key file ${path}: ${(error as Error).message}`);
  } finally {
    await rm(temporary, { force: true });
  }
}

/** The key of `config`: given, read from (or generated into) the file beside the database, or new. */
export async function openEncryptionKey(config: EncryptionKeyConfig): Promise<OpenedEncryptionKey> {
  switch (config.kind) {
    case 'none':
      return { key: undefined, description: { kind: 'none' } };
    case 'given':
      return { key: config.key.reveal(), description: { kind: 'given', source: config.source } };
    case 'ephemeral':
      return { key: parseEncryptionKey(generateEncryptionKey()), description: { kind: 'ephemeral' } };
    case 'file': {
      const existing = await readKeyFile(config.path);
      if (existing !== undefined) {
        return { key: existing, description: { kind: 'file', path: config.path, generated: false } };
      }
      const generated = await createKeyFile(config.path);
      const key = await readKeyFile(config.path);
      if (key === undefined) throw new StartupError(`the encryption key file ${config.path} vanished`);
      return { key, description: { kind: 'file', path: config.path, generated } };
    }
  }
}
