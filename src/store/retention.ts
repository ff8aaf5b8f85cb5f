/**
 * How long stores keep bookkeeping that has no expiry of its own. Shared so every backend
 * behaves the same.
 *
 * @module
 */

/**
 * How long a revoked grant is remembered, in milliseconds (24 hours). A refresh token family
 * created for the grant within this window is created revoked: this closes the race where a
 * replayed code revokes the grant before the first redemption has stored its family. The window
 * must exceed the longest authorization code lifetime (OAuth 2.1 recommends at most 10 minutes).
 */
export const REVOKED_GRANT_RETENTION_MS = 24 * 60 * 60 * 1000;

/** The default interval between sweeps of expired records, in milliseconds (one minute). */
export const DEFAULT_CLEANUP_INTERVAL_MS = 60_000;
