/**
 * `mcp-cimd/store`: the storage interface of the authorization server and the memory backend.
 * Persistent backends live in their own subpaths (`mcp-cimd/store/sqlite`) so their drivers load
 * only when used.
 *
 * @module
 */

export { createMemoryStore, type MemoryStoreOptions } from './memory/memory-store.js';
export {
  createMemoryRateLimitCounter,
  DEFAULT_RATE_LIMIT_MAX_KEYS,
  type MemoryRateLimitCounterOptions,
} from './memory/rate-limit.js';
export type { RateLimitCounter, RateLimitWindow } from './rate-limit.js';
export type {
  AuthorizationCodeRecord,
  ClientDocumentChanges,
  ClientDocumentRecord,
  ClientSummary,
  ConsentedClientIdentity,
  ConsentRecord,
  ConsumeCodeResult,
  GrantFilter,
  JtiRecord,
  Page,
  RecordJtiAndRotateResult,
  RefreshFamilyChanges,
  RefreshFamilyRecord,
  RegisteredClientRecord,
  RotateRefreshResult,
  Store,
} from './store.js';
