/**
 * Where upstream tokens live: encrypted (AES-256-GCM, see `SecretBox`) in the store's cache,
 * first under the browser session that signed in, then copied to each grant the session
 * approves, so `getUpstreamTokens(authInfo)` finds them by the access token's `grant_id`, a
 * refresh at the provider updates them, and revoking the grant drops them. Each record is sealed
 * for its own key: a record moved to another key does not open.
 *
 * @module
 */
import type { Store } from '../../store/store.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { UpstreamTokens } from './provider.js';

/** What is kept: the provider, the upstream subject, and the tokens. */
export interface StoredUpstreamTokens {
  /** The provider's id (`github`, `oidc`, …). */
  provider: string;
  /** The provider's subject for the user. */
  subject: string;
  tokens: UpstreamTokens;
}

/** Keeps upstream tokens per session and per grant. */
export interface UpstreamTokenVault {
  saveForSession(sessionId: string, value: StoredUpstreamTokens, ttlMs: number): Promise<void>;
  dropSession(sessionId: string): Promise<void>;
  /** Copies the session's tokens to `grantId` for `ttlMs`; false when the session has none. */
  bindToGrant(sessionId: string, grantId: string, ttlMs: number): Promise<boolean>;
  forGrant(grantId: string): Promise<StoredUpstreamTokens | undefined>;
  /** Replaces the grant's tokens (after a refresh), keeping them until `expiresAt` (epoch ms). */
  updateGrant(grantId: string, value: StoredUpstreamTokens, expiresAt: number): Promise<void>;
  dropGrant(grantId: string): Promise<void>;
}

const SESSION_PREFIX = 'upstream-session:';
const GRANT_PREFIX = 'upstream-grant:';

interface Envelope {
  sealed: string;
  /** Epoch ms after which the record is gone (kept so a refresh can preserve it). */
  expiresAt: number;
}

/** The vault on `store`, sealing with `box`. */
export function createUpstreamTokenVault(
  store: Store,
  box: SecretBox,
  now: () => number = Date.now,
): UpstreamTokenVault {
  async function put(key: string, value: StoredUpstreamTokens, expiresAt: number): Promise<void> {
    const ttlMs = expiresAt - now();
    if (ttlMs <= 0) return;
    const envelope: Envelope = { sealed: await box.seal(JSON.stringify(value), key), expiresAt };
    await store.cacheSet(key, JSON.stringify(envelope), ttlMs);
  }
  async function get(key: string): Promise<{ value: StoredUpstreamTokens; expiresAt: number } | undefined> {
    const text = await store.cacheGet(key);
    if (text === undefined) return undefined;
    const envelope = JSON.parse(text) as Envelope;
    const value = JSON.parse(await box.open(envelope.sealed, key)) as StoredUpstreamTokens;
    return { value, expiresAt: envelope.expiresAt };
  }
  return {
    saveForSession: (sessionId, value, ttlMs) => put(`${SESSION_PREFIX}${sessionId}`, value, now() + ttlMs),
    dropSession: (sessionId) => store.cacheDelete(`${SESSION_PREFIX}${sessionId}`),
    async bindToGrant(sessionId, grantId, ttlMs) {
      const found = await get(`${SESSION_PREFIX}${sessionId}`);
      if (found === undefined) return false;
      await put(`${GRANT_PREFIX}${grantId}`, found.value, now() + ttlMs);
      return true;
    },
    async forGrant(grantId) {
      return (await get(`${GRANT_PREFIX}${grantId}`))?.value;
    },
    updateGrant: (grantId, value, expiresAt) => put(`${GRANT_PREFIX}${grantId}`, value, expiresAt),
    async dropGrant(grantId) {
      await store.cacheDelete(`${GRANT_PREFIX}${grantId}`);
    },
  };
}

/** When the grant's record expires, epoch ms (for keeping it after a refresh). */
export async function grantRecordExpiry(store: Store, grantId: string): Promise<number | undefined> {
  const text = await store.cacheGet(`${GRANT_PREFIX}${grantId}`);
  return text === undefined ? undefined : (JSON.parse(text) as Envelope).expiresAt;
}
