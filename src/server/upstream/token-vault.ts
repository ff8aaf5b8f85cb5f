/**
 * Where upstream tokens live: encrypted (AES-256-GCM, see `SecretBox`) in the store's cache, ONE
 * record per upstream sign-in, held by the browser session that signed in and by every grant that
 * session approves (each grant keeps a sealed pointer to it), so `getUpstreamTokens(authInfo)`
 * finds them by the access token's `grant_id`. A refresh at the provider through any grant
 * replaces the tokens for all of them: copies would keep a refresh token the provider has rotated
 * away, and a provider with reuse detection (oidc-provider, Okta, Auth0) revokes the whole
 * upstream grant when such a copy is used. Revoking a grant drops its pointer; the record goes
 * when neither the session nor any grant holds it any more (or at its expiry, the latest of its
 * holders'). Each record is sealed for its own key: a record moved to another key does not open.
 *
 * The holders of a record are updated read-modify-write (the store's cache has no compare-and-set):
 * two grants bound to one sign-in at the very same moment can lose one holder, and the record can
 * then be dropped while that grant still points to it; the grant then finds no tokens (the user
 * signs in again), never another sign-in's tokens.
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

/** The tokens of a grant, and the sign-in they belong to (shared with the other grants it approved). */
export interface GrantUpstreamTokens {
  /** The sign-in's id (refreshes of one sign-in must not run twice at once). */
  signIn: string;
  value: StoredUpstreamTokens;
}

/** Keeps upstream tokens per sign-in, held by a session and the grants it approved. */
export interface UpstreamTokenVault {
  /** Keeps the tokens of a new sign-in, held by its session (whose id names the sign-in) for `ttlMs`. */
  saveForSession(sessionId: string, value: StoredUpstreamTokens, ttlMs: number): Promise<void>;
  /** The session lets go of its sign-in's tokens (dropped unless a grant holds them). */
  dropSession(sessionId: string): Promise<void>;
  /** Makes `grantId` a holder of the session's sign-in for `ttlMs`; false when the session has no tokens. */
  bindToGrant(sessionId: string, grantId: string, ttlMs: number): Promise<boolean>;
  forGrant(grantId: string): Promise<GrantUpstreamTokens | undefined>;
  /** The tokens of a sign-in (as {@link GrantUpstreamTokens.signIn} names it). */
  forSignIn(signIn: string): Promise<StoredUpstreamTokens | undefined>;
  /** Replaces the tokens of a sign-in (after a refresh), for every holder, keeping its expiry. */
  updateSignIn(signIn: string, value: StoredUpstreamTokens): Promise<void>;
  /** The grant lets go of its sign-in's tokens (dropped when nothing else holds them). */
  dropGrant(grantId: string): Promise<void>;
}

const SIGN_IN_PREFIX = 'upstream-sign-in:';
const GRANT_PREFIX = 'upstream-grant:';

interface Envelope {
  sealed: string;
  /** Epoch ms after which the record is gone (kept so a rewrite can preserve it). */
  expiresAt: number;
}

/** A sign-in's record: the tokens and who holds them. */
interface SignInRecord {
  value: StoredUpstreamTokens;
  /** Until when the session that signed in holds the record, epoch ms (0 once it let go). */
  sessionUntil: number;
  /** The grants that hold it. */
  grants: string[];
}

/** A grant's pointer to its sign-in. */
interface GrantPointer {
  signIn: string;
}

/** The vault on `store`, sealing with `box`. */
export function createUpstreamTokenVault(
  store: Store,
  box: SecretBox,
  now: () => number = Date.now,
): UpstreamTokenVault {
  async function put(key: string, value: unknown, expiresAt: number): Promise<void> {
    const ttlMs = expiresAt - now();
    if (ttlMs <= 0) {
      await store.cacheDelete(key);
      return;
    }
    const envelope: Envelope = { sealed: await box.seal(JSON.stringify(value), key), expiresAt };
    await store.cacheSet(key, JSON.stringify(envelope), ttlMs);
  }
  async function get<T>(key: string): Promise<{ value: T; expiresAt: number } | undefined> {
    const text = await store.cacheGet(key);
    if (text === undefined) return undefined;
    const envelope = JSON.parse(text) as Envelope;
    const value = JSON.parse(await box.open(envelope.sealed, key)) as T;
    return { value, expiresAt: envelope.expiresAt };
  }
  const signInKey = (signIn: string) => `${SIGN_IN_PREFIX}${signIn}`;
  const grantKey = (grantId: string) => `${GRANT_PREFIX}${grantId}`;

  /** Rewrites a sign-in's record with `change`, or drops it when nothing holds it any more. */
  async function changeSignIn(
    signIn: string,
    change: (record: SignInRecord, expiresAt: number) => { record: SignInRecord; expiresAt: number },
  ): Promise<boolean> {
    const key = signInKey(signIn);
    const found = await get<SignInRecord>(key);
    if (found === undefined) return false;
    const next = change(found.value, found.expiresAt);
    if (next.record.grants.length === 0) {
      // Only the session holds it now: it goes when the session does.
      await put(key, next.record, Math.min(next.expiresAt, next.record.sessionUntil));
    } else {
      await put(key, next.record, next.expiresAt);
    }
    return true;
  }

  return {
    async saveForSession(sessionId, value, ttlMs) {
      const record: SignInRecord = { value, sessionUntil: now() + ttlMs, grants: [] };
      await put(signInKey(sessionId), record, record.sessionUntil);
    },
    async dropSession(sessionId) {
      await changeSignIn(sessionId, (record, expiresAt) => ({
        record: { ...record, sessionUntil: 0 },
        expiresAt,
      }));
    },
    async bindToGrant(sessionId, grantId, ttlMs) {
      const grantExpiresAt = now() + ttlMs;
      const held = await changeSignIn(sessionId, (record, expiresAt) => ({
        record: { ...record, grants: [...new Set([...record.grants, grantId])] },
        expiresAt: Math.max(expiresAt, grantExpiresAt),
      }));
      if (!held) return false;
      const pointer: GrantPointer = { signIn: sessionId };
      await put(grantKey(grantId), pointer, grantExpiresAt);
      return true;
    },
    async forGrant(grantId) {
      const pointer = await get<GrantPointer>(grantKey(grantId));
      if (pointer === undefined) return undefined;
      const { signIn } = pointer.value;
      const record = await get<SignInRecord>(signInKey(signIn));
      return record === undefined ? undefined : { signIn, value: record.value.value };
    },
    async forSignIn(signIn) {
      return (await get<SignInRecord>(signInKey(signIn)))?.value.value;
    },
    async updateSignIn(signIn, value) {
      await changeSignIn(signIn, (record, expiresAt) => ({ record: { ...record, value }, expiresAt }));
    },
    async dropGrant(grantId) {
      const key = grantKey(grantId);
      const pointer = await get<GrantPointer>(key);
      await store.cacheDelete(key);
      if (pointer === undefined) return;
      await changeSignIn(pointer.value.signIn, (record, expiresAt) => ({
        record: { ...record, grants: record.grants.filter((id) => id !== grantId) },
        expiresAt,
      }));
    },
  };
}
