/**
 * `mcp-cimd/store/sqlite`: the SQLite store backend, on the `libsql` driver.
 *
 * @module
 */

export type {
  AuthorizationCodeRecord,
  ConsentedClientIdentity,
  ConsentRecord,
  ConsumeCodeResult,
  RefreshFamilyRecord,
  RegisteredClientRecord,
  RotateRefreshResult,
  Store,
} from '../store.js';
export { createSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
