/**
 * `mcp-cimd/store/redis`: the Redis store backend and the Redis rate-limit counter, on `ioredis`.
 * Every server instance pointed at one Redis shares codes, replay records, refresh token
 * families and rate limits.
 *
 * @module
 */

export type { RateLimitCounter, RateLimitWindow } from '../rate-limit.js';
export type {
  AuthorizationCodeRecord,
  ClientDocumentChanges,
  ClientDocumentRecord,
  ClientSummary,
  ConsentedClientIdentity,
  ConsentRecord,
  ConsumeCodeResult,
  GrantFilter,
  Page,
  RefreshFamilyChanges,
  RefreshFamilyRecord,
  RegisteredClientRecord,
  RotateRefreshResult,
  Store,
} from '../store.js';
export type { RedisConnectionOptions } from './connection.js';
export { DEFAULT_KEY_PREFIX } from './key-prefix.js';
export { createRedisRateLimitCounter, type RedisRateLimitCounterOptions } from './rate-limit.js';
export { createRedisStore, type RedisStoreOptions } from './redis-store.js';
