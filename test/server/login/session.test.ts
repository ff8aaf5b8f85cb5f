/**
 * The session manager (src/server/login/session.ts) on its own: the cookie's name and attributes
 * on an https issuer (`__Host-` prefix, Secure, Path=/, no Domain, HttpOnly, SameSite=Lax,
 * Max-Age = the lifetime) and on an http loopback one, the store holding only the cookie's hash,
 * expiry on the injected clock, destroy, and the lifetime bounds.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSessionManager } from '../../../src/server/login/session.js';
import { createMemoryStore } from '../../../src/store/memory/memory-store.js';
import type { Store } from '../../../src/store/store.js';

const RECORD = { userId: 'u_subject', authTime: 1_000, name: 'Ada', email: 'ada@example.com' };

function attributesOf(line: string): Map<string, string | true> {
  const [, ...parts] = line.split(';');
  return new Map(
    parts.map((part): [string, string | true] => {
      const index = part.indexOf('=');
      return index < 0
        ? [part.trim().toLowerCase(), true]
        : [part.slice(0, index).trim().toLowerCase(), part.slice(index + 1).trim()];
    }),
  );
}

const cookieValue = (line: string) => (line.split(';')[0] ?? '').split('=')[1] ?? '';
const requestWith = (cookie: string) =>
  new Request('https://as.example.com/authorize', { headers: { cookie } });

describe('session cookies', () => {
  let store: Store;
  let clock: number;
  beforeEach(() => {
    store = createMemoryStore();
    clock = 1_000_000;
  });
  afterEach(async () => store.close());

  it('on an https issuer: __Host- prefix, Secure, Path=/, no Domain, HttpOnly, SameSite=Lax, Max-Age = lifetime', async () => {
    const sessions = createSessionManager({
      issuer: 'https://as.example.com',
      store,
      lifetimeMs: 3_600_000,
      now: () => clock,
    });
    const { session, cookie } = await sessions.create(RECORD);
    expect(cookie.startsWith('__Host-cimd_session=')).toBe(true);
    const attributes = attributesOf(cookie);
    expect(attributes.get('secure')).toBe(true);
    expect(attributes.get('httponly')).toBe(true);
    expect(attributes.get('samesite')).toBe('Lax');
    expect(attributes.get('path')).toBe('/');
    expect(attributes.has('domain')).toBe(false);
    expect(attributes.get('max-age')).toBe('3600');
    expect(session.record.expiresAt).toBe(clock + 3_600_000);

    const value = cookieValue(cookie);
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The store keeps the record under the cookie's SHA-256, never the cookie itself.
    expect(session.id).toBe(createHash('sha256').update(value).digest('base64url'));
    expect(await store.cacheGet(`session:${value}`)).toBeUndefined();
    expect(await store.cacheGet(`session:${session.id}`)).not.toContain(value);

    const read = await sessions.read(requestWith(`other=1; __Host-cimd_session=${value}`));
    expect(read?.id).toBe(session.id);
    expect(read?.record).toMatchObject(RECORD);
    // The same value without the prefix (a cookie a sibling subdomain could set) is not read.
    expect(await sessions.read(requestWith(`cimd_session=${value}`))).toBeUndefined();
  });

  it('on an http loopback issuer: plain name, no Secure, the other attributes alike', async () => {
    const sessions = createSessionManager({
      issuer: 'http://127.0.0.1:8080',
      store,
      cookieName: 'my_session',
    });
    const { cookie } = await sessions.create(RECORD);
    expect(cookie.startsWith('my_session=')).toBe(true);
    const attributes = attributesOf(cookie);
    expect(attributes.has('secure')).toBe(false);
    expect(attributes.get('httponly')).toBe(true);
    expect(attributes.get('samesite')).toBe('Lax');
    expect(attributes.get('max-age')).toBe('43200');
  });

  it('a session ends at its expiry on the clock, and a malformed or unknown cookie reads as none', async () => {
    const sessions = createSessionManager({ issuer: 'https://as.example.com', store, now: () => clock });
    const { cookie } = await sessions.create(RECORD);
    const request = requestWith(`__Host-cimd_session=${cookieValue(cookie)}`);
    clock += 43_200_000 - 1;
    expect(await sessions.read(request)).toBeDefined();
    clock += 1;
    expect(await sessions.read(request)).toBeUndefined();
    expect(await sessions.read(requestWith('__Host-cimd_session=short'))).toBeUndefined();
    expect(await sessions.read(requestWith(`__Host-cimd_session=${'A'.repeat(43)}`))).toBeUndefined();
    expect(await sessions.read(new Request('https://as.example.com/'))).toBeUndefined();
  });

  it('destroy ends the session in the store and returns a cookie that removes it', async () => {
    const sessions = createSessionManager({ issuer: 'https://as.example.com', store, now: () => clock });
    const { session, cookie } = await sessions.create(RECORD);
    const request = requestWith(`__Host-cimd_session=${cookieValue(cookie)}`);
    const ended = await sessions.destroy(request);
    expect(ended.session?.id).toBe(session.id);
    expect(ended.cookie).toMatch(/^__Host-cimd_session=;/);
    expect(attributesOf(ended.cookie).get('max-age')).toBe('0');
    expect(await sessions.read(request)).toBeUndefined();
    expect(await store.cacheGet(`session:${session.id}`)).toBeUndefined();
    // Destroying without a session still answers with the removing cookie.
    expect((await sessions.destroy(new Request('https://as.example.com/'))).session).toBeUndefined();
  });

  it('the lifetime must be a positive number of ms, at most 30 days', () => {
    const make = (lifetimeMs: number) => () =>
      createSessionManager({ issuer: 'https://as.example.com', store, lifetimeMs });
    expect(make(0)).toThrow(/session lifetime/);
    expect(make(-1)).toThrow(/session lifetime/);
    expect(make(1.5)).toThrow(/session lifetime/);
    expect(make(30 * 86_400_000 + 1)).toThrow(/at most 30 days/);
    expect(make(30 * 86_400_000)).not.toThrow();
  });
});
