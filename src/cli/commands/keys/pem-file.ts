/**
 * `--format pem`: the private key also as a PKCS#8 PEM file (mode 0600) beside the key set,
 * named after the key set and the key: `cimd-keys-<kid>.pem`.
 *
 * @module
 */
import { access } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { SigningKey } from '../../../keys/assertion.js';
import { writeFileAtomic } from '../../../keys/atomic-file.js';
import { exportPrivateKeyPem } from '../../../keys/pem.js';

/** The PEM file of `kid` beside the key set at `keysPath`. */
export function pemPathFor(keysPath: string, kid: string): string {
  const stem = basename(keysPath, extname(keysPath));
  return join(dirname(keysPath), `${stem}-${kid}.pem`);
}

/** True when a file exists at `path`. */
export async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes `key`'s private key as PKCS#8 PEM (mode 0600) and returns the file name. */
export async function writePemFile(keysPath: string, key: SigningKey): Promise<string> {
  const path = pemPathFor(keysPath, key.kid);
  await writeFileAtomic(path, await exportPrivateKeyPem(key), { mode: 0o600 });
  return path;
}
