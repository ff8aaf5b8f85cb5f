/**
 * Sign-ins in flight at the upstream provider, from the redirect to the callback: kept in the
 * store's cache under the `state` for `ttlMs`, usable once (the store's atomic `recordJti`), and
 * bound to the browser that started them by a cookie whose name carries the `state` and whose
 * value's hash is in the record, so a callback URL carried to another browser (login CSRF) is
 * refused.
 *
 * @module
 */
import { parse, serialize } from 'hono/utils/cookie';
import type { Store } from '../../store/store.js';
import { sha256Base64url, timingSafeEqualStrings } from '../crypto.js';
import { randomToken } from '../random-token.js';

/** What the callback needs from the redirect. */
export interface PendingSignIn {
  state: string;
  /** Where the browser goes once signed in (or with the failure). */
  returnTo: string;
  codeVerifier: string;
  nonce?: string;
  /** A new sign-in was forced (`prompt=login`). */
  forced: boolean;
  /** SHA-256 of the browser-binding cookie's value. */
  bindingHash: string;
  /** Epoch ms. */
  createdAt: number;
}

const KEY_PREFIX = 'upstream-pending:';
const USED_NAMESPACE = 'mcp-cimd:upstream-state';
const STATE = /^[A-Za-z0-9_-]{43}$/;

/** The binding cookie's name for `state`. */
function cookieName(secure: boolean, state: string): string {
  return `${secure ? '__Host-' : ''}cimd_up_${state.slice(0, 22)}`;
}

/** Saves and consumes pending sign-ins. */
export interface PendingSignIns {
  /** Saves a new pending sign-in; returns it and the `Set-Cookie` value binding it to this browser. */
  start(
    fields: Omit<PendingSignIn, 'state' | 'bindingHash' | 'createdAt'>,
  ): Promise<{ pending: PendingSignIn; cookie: string }>;
  /**
   * Uses up the sign-in of `state`: `unknown` (never started, expired), `replayed` (used
   * before), `other_browser` (the binding cookie is missing or wrong; it is used up all the
   * same), or the pending sign-in and the `Set-Cookie` value that removes the binding.
   */
  finish(
    state: string | null,
    request: Request,
  ): Promise<
    | { status: 'unknown' | 'replayed' | 'other_browser' }
    | { status: 'ok'; pending: PendingSignIn; clearCookie: string }
  >;
}

/** Pending sign-ins in `store`, for `ttlMs` each; cookies `Secure` when `secure`. */
export function createPendingSignIns(
  store: Store,
  ttlMs: number,
  secure: boolean,
  now: () => number,
): PendingSignIns {
  const cookie = (state: string, value: string, maxAge: number) =>
    serialize(cookieName(secure, state), value, {
      path: '/',
      httpOnly: true,
      secure,
      sameSite: 'Lax',
      maxAge,
    });
  return {
    async start(fields) {
      const state = randomToken(32);
      const binding = randomToken(32);
      const pending: PendingSignIn = {
        ...fields,
        state,
        bindingHash: await sha256Base64url(binding),
        createdAt: now(),
      };
      await store.cacheSet(`${KEY_PREFIX}${state}`, JSON.stringify(pending), ttlMs);
      return { pending, cookie: cookie(state, binding, Math.ceil(ttlMs / 1000)) };
    },
    async finish(state, request) {
      if (state === null || !STATE.test(state)) return { status: 'unknown' };
      const text = await store.cacheGet(`${KEY_PREFIX}${state}`);
      if (text === undefined && !(await store.recordJti(USED_NAMESPACE, state, ttlMs)))
        return { status: 'replayed' };
      if (text === undefined) return { status: 'unknown' };
      if (!(await store.recordJti(USED_NAMESPACE, state, ttlMs))) return { status: 'replayed' };
      await store.cacheDelete(`${KEY_PREFIX}${state}`);
      const pending = JSON.parse(text) as PendingSignIn;
      const name = cookieName(secure, state);
      const header = request.headers.get('cookie');
      const value = header === null ? undefined : parse(header, name)[name];
      const clearCookie = cookie(state, '', 0);
      if (value === undefined || !timingSafeEqualStrings(await sha256Base64url(value), pending.bindingHash)) {
        return { status: 'other_browser' };
      }
      return { status: 'ok', pending, clearCookie };
    },
  };
}
