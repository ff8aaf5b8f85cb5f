/**
 * `mcp-cimd/store/sqlite`: the SQLite store backend, on the `libsql` driver.
 *
 * @module
 */

export { createSqliteStore, type SqliteStoreOptions } from './sqlite.js';
export type {
  AuthorizationCodeRecord,
  ConsentRecord,
  ConsumeCodeResult,
  RefreshFamilyRecord,
  RegisteredClientRecord,
  RotateRefreshResult,
  Store,
} from './store.js';
