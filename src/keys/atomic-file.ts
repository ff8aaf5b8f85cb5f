/**
 * Atomic file writes: the data goes to a new temporary file beside the target (created with the
 * final mode, so a secret is never readable by others, even briefly), is flushed to disk, and is
 * renamed over the target. A reader sees the old file or the new one, never a partial one.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Options of {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** The file mode, e.g. `0o600` for secrets (the default) or `0o644` for public files. */
  mode?: number;
}

/** Writes `data` to `path` atomically with `options.mode` (default `0o600`); parent folders are created. */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const mode = options.mode ?? 0o600;
  const folder = dirname(path);
  await mkdir(folder, { recursive: true });
  const temporary = join(folder, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', mode);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temporary, mode); // the umask may have removed bits a public file needs
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
