/**
 * Where `cimd serve` keeps its data: the store kind, the SQLite file (from `--database` or
 * `DATABASE_URL`: a path, `sqlite:<path>`, `file:<path>` or `:memory:`), and the file of the
 * server's signing keys. PostgreSQL and Redis URLs are recognised and refused with a clear
 * message: those stores are not supported yet.
 *
 * @module
 */
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The store `cimd serve` opens. */
export type StoreConfig =
  | { kind: 'memory' }
  /** `path` is absolute, or `:memory:` for a private in-memory SQLite database. */
  | { kind: 'sqlite'; path: string };

/** Where the signing key set is kept. */
export type SigningKeysConfig = { kind: 'memory' } | { kind: 'file'; path: string };

/** The default SQLite file, relative to the working directory. */
export const DEFAULT_DATABASE = './cimd.sqlite';

const UNSUPPORTED: Readonly<Record<string, string>> = {
  postgres: 'PostgreSQL',
  postgresql: 'PostgreSQL',
  redis: 'Redis',
  rediss: 'Redis',
  mysql: 'MySQL',
  mariadb: 'MariaDB',
  mongodb: 'MongoDB',
  'mongodb+srv': 'MongoDB',
};

/** The outcome of {@link parseDatabase}: a path, or a problem to report. */
export type ParsedDatabase = { ok: true; path: string } | { ok: false; problem: string };

/**
 * The SQLite file named by `value` (a path, `sqlite:<path>`, `sqlite:///<absolute path>`,
 * `file:<path>`, a `file://` URL, or `:memory:`); relative paths are resolved against `cwd`.
 */
export function parseDatabase(value: string, cwd: string): ParsedDatabase {
  if (value === ':memory:' || value === 'sqlite::memory:') return { ok: true, path: ':memory:' };
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return { ok: true, path: resolve(cwd, value) };
  const product = UNSUPPORTED[scheme];
  if (product !== undefined) {
    return {
      ok: false,
      problem: `${product} databases are not supported yet; use SQLite (a file path or sqlite:<path>) or --store memory`,
    };
  }
  let path: string;
  if (scheme === 'sqlite') {
    path = value
      .slice('sqlite:'.length)
      .replace(/^\/\/(?=\/)/, '')
      .replace(/^\/\//, '');
  } else if (scheme === 'file') {
    try {
      path = value.startsWith('file://') ? fileURLToPath(value) : value.slice('file:'.length);
    } catch (error) {
      return {
        ok: false,
        problem: `${JSON.stringify(value)} is not a usable file URL: ${(error as Error).message}`,
      };
    }
  } else {
    return {
      ok: false,
      problem: `the ${scheme}: scheme is not supported; give a SQLite file path, sqlite:<path> or file:<path>`,
    };
  }
  if (path === '') return { ok: false, problem: `${JSON.stringify(value)} names no file` };
  return { ok: true, path: path === ':memory:' ? path : resolve(cwd, path) };
}

/**
 * The default signing-key file of a store: `<name>.signing-keys.json` beside the SQLite file
 * (`./cimd.sqlite` gives `./cimd.signing-keys.json`); in memory for the memory store or an
 * in-memory database (tokens then stop verifying after a restart).
 */
export function defaultSigningKeys(store: StoreConfig): SigningKeysConfig {
  if (store.kind === 'memory' || store.path === ':memory:') return { kind: 'memory' };
  const file = basename(store.path, extname(store.path));
  return { kind: 'file', path: join(dirname(store.path), `${file}.signing-keys.json`) };
}
