/**
 * Browser sessions at the authorization server, for authenticators that sign users in elsewhere
 * (an upstream identity provider): a random 256-bit cookie value whose SHA-256 names the record
 * in the store's cache, so the store never holds a usable cookie. The cookie is `__Host-`
 * prefixed (Secure, Path=/, no Domain) on an https issuer and plainly named on an http loopback
 * one; always HttpOnly and SameSite=Lax, and lives no longer than the session.
 *
 * @module
 */
import { parse, serialize } from 'hono/utils/cookie';
import { InvalidOptionError } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { sha256Base64url } from '../crypto.js';
import { randomToken } from '../random-token.js';

/** What a session records about its user. */
export interface SessionRecord {
  /** Our subject for the user (the access token's `sub`). */
  userId: string;
  name?: string;
  email?: string;
  /** When the user signed in, epoch ms. */
  authTime: number;
  /** Epoch ms after which the session is over. */
  expiresAt: number;
  /** Anything else the authenticator keeps (e.g. the upstream provider's id). */
  data?: Record<string, unknown>;
}

/** A session read from a request. */
export interface Session {
  /** The session's id: the SHA-256 of its cookie value (safe to store and log). */
  id: string;
  record: SessionRecord;
}

/** Options of {@link createSessionManager}. */
export interface SessionManagerOptions {
  /** The issuer: its scheme decides the cookie's name and `Secure`. */
  issuer: string;
  store: Store;
  /** How long a session lasts after sign-in, in ms. Default 43 200 000 (12 h). At most 30 days. */
  lifetimeMs?: number;
  /** The cookie's base name. Default `cimd_session`. */
  cookieName?: string;
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** Creates, reads and ends browser sessions. */
export interface SessionManager {
  /** The session's lifetime, in ms. */
  readonly lifetimeMs: number;
  /** The live session of `request`, if it carries one. */
  read(request: Request): Promise<Session | undefined>;
  /** Starts a session for `record` (without `expiresAt`): its id and the `Set-Cookie` value. */
  create(record: Omit<SessionRecord, 'expiresAt'>): Promise<{ session: Session; cookie: string }>;
  /** Ends the session of `request`, if any: the ended session and the `Set-Cookie` value that removes the cookie. */
  destroy(request: Request): Promise<{ session: Session | undefined; cookie: string }>;
}

const KEY_PREFIX = 'session:';
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;
const MAX_LIFETIME_MS = 30 * 86_400_000;

function parseRecord(text: string): SessionRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<SessionRecord>;
    if (typeof value.userId !== 'string' || typeof value.authTime !== 'number') return undefined;
    if (typeof value.expiresAt !== 'number') return undefined;
    return value as SessionRecord;
  } catch {
    return undefined;
  }
}

/** Creates the session manager. */
export function createSessionManager(options: SessionManagerOptions): SessionManager {
  const { store } = options;
  const now = options.now ?? Date.now;
  const lifetimeMs = options.lifetimeMs ?? 43_200_000;
  if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs <= 0 || lifetimeMs > MAX_LIFETIME_MS) {
    throw new InvalidOptionError('the session lifetime must be a positive number of ms, at most 30 days');
  }
  const secure = options.issuer.startsWith('https:');
  const name = `${secure ? '__Host-' : ''}${options.cookieName ?? 'cimd_session'}`;
  const cookie = (value: string, maxAgeSeconds: number) =>
    serialize(name, value, { path: '/', httpOnly: true, secure, sameSite: 'Lax', maxAge: maxAgeSeconds });

  async function read(request: Request): Promise<Session | undefined> {
    const header = request.headers.get('cookie');
    if (header === null) return undefined;
    const value = parse(header, name)[name];
    if (value === undefined || !COOKIE_VALUE.test(value)) return undefined;
    const id = await sha256Base64url(value);
    const text = await store.cacheGet(`${KEY_PREFIX}${id}`);
    const record = text === undefined ? undefined : parseRecord(text);
    if (record === undefined || record.expiresAt <= now()) return undefined;
    return { id, record };
  }

  return {
    lifetimeMs,
    read,
    async create(fields) {
      const value = randomToken(32);
      const id = await sha256Base64url(value);
      const record: SessionRecord = { ...fields, expiresAt: now() + lifetimeMs };
      await store.cacheSet(`${KEY_PREFIX}${id}`, JSON.stringify(record), lifetimeMs);
      return { session: { id, record }, cookie: cookie(value, Math.floor(lifetimeMs / 1000)) };
    },
    async destroy(request) {
      const session = await read(request);
      if (session !== undefined) await store.cacheDelete(`${KEY_PREFIX}${session.id}`);
      return { session, cookie: cookie('', 0) };
    },
  };
}
