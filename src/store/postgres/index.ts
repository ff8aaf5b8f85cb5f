/**
 * `mcp-cimd/store/postgres`: the PostgreSQL store backend, on the `pg` driver.
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
export { createPostgresStore, type PostgresStoreOptions } from './postgres-store.js';
