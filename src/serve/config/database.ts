/**
 * Where `cimd serve` keeps its data: the store kind from `--database` or `DATABASE_URL` (a
 * SQLite path, `sqlite:<path>`, `file:<path>` or `:memory:`; a `postgres://` or `postgresql://`
 * URL; a `redis://` or `rediss://` URL), and where the server's signing keys live (a file beside
 * a SQLite database; sealed in the store itself for the shared PostgreSQL and Redis stores).
 *
 * @module
 */
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The store `cimd serve` opens. */
export type StoreConfig =
  | { kind: 'memory' }
  /** `path` is absolute, or `:memory:` for a private in-memory SQLite database. */
  | { kind: 'sqlite'; path: string }
  /** A PostgreSQL server shared by every instance; `url` may hold a password: never log it whole. */
  | { kind: 'postgres'; url: string }
  /** A Redis server shared by every instance; `url` may hold a password: never log it whole. */
  | { kind: 'redis'; url: string };

/** The stores several instances on several machines can share. */
export type SharedStoreConfig = Extract<StoreConfig, { kind: 'postgres' | 'redis' }>;

/** Whether `store` is shared between machines (PostgreSQL, Redis). */
export function isSharedStore(store: StoreConfig): store is SharedStoreConfig {
  return store.kind === 'postgres' || store.kind === 'redis';
}

/** Where the signing key set is kept: in memory, a file, or sealed in the shared store. */
export type SigningKeysConfig = { kind: 'memory' } | { kind: 'file'; path: string } | { kind: 'store' };

/** The default SQLite file, relative to the working directory. */
export const DEFAULT_DATABASE = './cimd.sqlite';

const SHARED: Readonly<Record<string, SharedStoreConfig['kind']>> = {
  postgres: 'postgres',
  postgresql: 'postgres',
  redis: 'redis',
  rediss: 'redis',
};

const UNSUPPORTED: Readonly<Record<string, string>> = {
  mysql: 'MySQL',
  mariadb: 'MariaDB',
  mongodb: 'MongoDB',
  'mongodb+srv': 'MongoDB',
};

/** The outcome of {@link parseDatabase}: a path, or a problem to report. */
export type ParsedDatabase = { ok: true; path: string } | { ok: false; problem: string };

/** The outcome of {@link parseStoreLocation}: the store, or a problem to report. */
export type ParsedStore = { ok: true; store: StoreConfig } | { ok: false; problem: string };

/** A URL's text with its password (if any) replaced by `***`, for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.href;
  } catch {
    return '<unparsable URL>';
  }
}

/**
 * The store named by `value`: a PostgreSQL or Redis URL selects that backend, anything else a
 * SQLite file (see {@link parseDatabase}).
 */
export function parseStoreLocation(value: string, cwd: string): ParsedStore {
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(value)?.[1]?.toLowerCase();
  const kind = scheme === undefined ? undefined : SHARED[scheme];
  if (kind === undefined) {
    const parsed = parseDatabase(value, cwd);
    return parsed.ok ? { ok: true, store: { kind: 'sqlite', path: parsed.path } } : parsed;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, problem: `${redactUrl(value)} is not a valid ${scheme} URL` };
  }
  if (url.hostname === '') return { ok: false, problem: `the ${scheme} URL names no host` };
  return { ok: true, store: { kind, url: value } };
}

/**
 * The SQLite file named by `value` (a path, `sqlite:<path>`, `sqlite:///<absolute path>`,
 * `file:<path>`, a `file://` URL, or `:memory:`); relative paths are resolved against `cwd`.
 */
export function parseDatabase(value: string, cwd: string): ParsedDatabase {
  if (value === ':memory:' || value === 'sqlite::memory:') return { ok: true, path: ':memory:' };
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return { ok: true, path: resolve(cwd, value) };
  if (SHARED[scheme] !== undefined) {
    return { ok: false, problem: `a ${scheme} URL is not a SQLite file` };
  }
  const product = UNSUPPORTED[scheme];
  if (product !== undefined) {
    return {
      ok: false,
      problem: `${product} databases are not supported; use SQLite (a file path or sqlite:<path>), PostgreSQL (postgres://…), Redis (redis://…) or --store memory`,
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
 * (`./cimd.sqlite` gives `./cimd.signing-keys.json`); sealed in the store for PostgreSQL and
 * Redis (every instance then signs with the same keys); in memory for the memory store or an
 * in-memory database (tokens then stop verifying after a restart).
 */
export function defaultSigningKeys(store: StoreConfig): SigningKeysConfig {
  if (isSharedStore(store)) return { kind: 'store' };
  if (store.kind === 'memory' || store.path === ':memory:') return { kind: 'memory' };
  const file = basename(store.path, extname(store.path));
  return { kind: 'file', path: join(dirname(store.path), `${file}.signing-keys.json`) };
}
