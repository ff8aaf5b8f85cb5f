import { beforeAll, describe, expect, it } from 'vitest';
import { lintJwks } from '../../src/index.js';
import {
  type ClientKey,
  createKeySet,
  currentKey,
  generateClientKey,
  isKeySetError,
  type KeySet,
  nextKey,
  PRIVATE_JWK_MEMBERS,
  previousKeys,
  promoteNextKey,
  publicJwks,
  retireAfter,
  retirePreviousKeys,
  stageKey,
} from '../../src/keys/index.js';
import { DAY, MINUTE, T0 } from './fixtures.js';

/** The kids of the public JWKS, in order. */
const publishedKids = (set: KeySet) => publicJwks(set).keys.map((key) => key.kid);

describe('staged rotation (pure state machine)', () => {
  let k1: ClientKey;
  let k2: ClientKey;
  let k3: ClientKey;
  let initial: KeySet;
  beforeAll(async () => {
    [k1, k2, k3] = await Promise.all([generateClientKey(), generateClientKey(), generateClientKey()]);
    initial = createKeySet(k1, { jwksUri: 'https://app.example.com/oauth/jwks.json', now: T0 });
  });

  it('starts with one current key, published alone', () => {
    expect(currentKey(initial).kid).toBe(k1.kid);
    expect(nextKey(initial)).toBeUndefined();
    expect(publishedKids(initial)).toEqual([k1.kid]);
  });

  it('stage: the next key joins; the JWKS lists current + next; the current key still signs', () => {
    const staged = stageKey(initial, k2, { now: T0 + MINUTE });
    expect(currentKey(staged).kid).toBe(k1.kid);
    expect(nextKey(staged)).toMatchObject({
      kid: k2.kid,
      state: 'next',
      stagedAt: new Date(T0 + MINUTE).toISOString(),
    });
    expect(publishedKids(staged)).toEqual([k1.kid, k2.kid]);
    expect(initial.keys).toHaveLength(1); // pure: the input is untouched
  });

  it('stage: only one next key at a time', () => {
    const staged = stageKey(initial, k2, { now: T0 });
    expect(() => stageKey(staged, k3)).toThrow(expect.objectContaining({ code: 'ERR_KEYS_NEXT_EXISTS' }));
    expect(() => stageKey(initial, k1)).toThrow(/already holds the key/);
  });

  it('promote: refused without a next key', () => {
    expect(() => promoteNextKey(initial, { force: true })).toThrow(
      expect.objectContaining({
        code: 'ERR_KEYS_NO_NEXT',
        message: expect.stringMatching(/stage one first/),
      }),
    );
  });

  it('promote: refused while the served JWKS lacks the next key, or serves other key material under its kid', () => {
    const staged = stageKey(initial, k2, { now: T0 });
    const refusedWith = (published: unknown, message: RegExp) => {
      let caught: unknown;
      try {
        promoteNextKey(staged, { published, now: T0 + MINUTE });
      } catch (error) {
        caught = error;
      }
      expect(isKeySetError(caught, 'ERR_KEYS_NOT_PUBLISHED')).toBe(true);
      expect((caught as Error).message).toMatch(message);
    };
    const notYet =
      /the next key .* is not published yet at https:\/\/app\.example\.com\/oauth\/jwks\.json: publish the JWKS, then promote/;
    refusedWith(publicJwks(initial), notYet);
    refusedWith(undefined, notYet);
    refusedWith({ keys: 'nope' }, notYet);
    refusedWith({ keys: [{ ...k3.publicJwk, kid: k2.kid }] }, /different key material/);
  });

  it('promote: once published, next -> current and current -> previous with demotedAt = now', () => {
    const staged = stageKey(initial, k2, { now: T0 });
    const promoted = promoteNextKey(staged, { published: publicJwks(staged), now: T0 + MINUTE });
    const at = new Date(T0 + MINUTE).toISOString();
    expect(currentKey(promoted)).toMatchObject({ kid: k2.kid, promotedAt: at, publishedAt: at });
    expect(previousKeys(promoted)).toEqual([
      expect.objectContaining({ kid: k1.kid, state: 'previous', demotedAt: at }),
    ]);
    expect(nextKey(promoted)).toBeUndefined();
    expect(publishedKids(promoted)).toEqual([k2.kid, k1.kid]);
  });

  it('promote --force: skips the check and records no publishedAt', () => {
    const promoted = promoteNextKey(stageKey(initial, k2, { now: T0 }), { force: true, now: T0 });
    expect(currentKey(promoted).kid).toBe(k2.kid);
    expect(currentKey(promoted).publishedAt).toBeUndefined();
  });

  describe('retire', () => {
    let promoted: KeySet;
    const demotedAt = T0 + MINUTE;
    beforeAll(() => {
      const staged = stageKey(initial, k2, { now: T0 });
      promoted = promoteNextKey(staged, { published: publicJwks(staged), now: demotedAt });
    });

    it('refused without a previous key', () => {
      expect(() => retirePreviousKeys(initial, { force: true })).toThrow(
        expect.objectContaining({ code: 'ERR_KEYS_NO_PREVIOUS' }),
      );
    });

    it('grace period = demotedAt + maxAssertionLifetimeMs (60 s) + maxJwksCacheMs (24 h)', () => {
      expect(retireAfter(promoted, previousKeys(promoted)[0]!).getTime()).toBe(demotedAt + MINUTE + DAY);
    });

    it('refused before the grace period, saying when it becomes safe', () => {
      const safeAt = new Date(demotedAt + MINUTE + DAY);
      let caught: unknown;
      try {
        retirePreviousKeys(promoted, { now: safeAt.getTime() - 1 });
      } catch (error) {
        caught = error;
      }
      expect(isKeySetError(caught, 'ERR_KEYS_GRACE_PERIOD')).toBe(true);
      expect((caught as { retireAfter: Date }).retireAfter).toEqual(safeAt);
      expect((caught as Error).message).toContain(safeAt.toISOString());
    });

    it('allowed after the grace period (injected clock): the previous key leaves the JWKS', () => {
      const result = retirePreviousKeys(promoted, { now: demotedAt + MINUTE + DAY });
      expect(result.retired).toEqual([k1.kid]);
      expect(result.remaining).toEqual([]);
      expect(result.keySet.keys.map((key) => key.kid)).toEqual([k2.kid]);
      expect(publishedKids(result.keySet)).toEqual([k2.kid]);
    });

    it('allowed at once with force', () => {
      expect(retirePreviousKeys(promoted, { force: true, now: demotedAt }).retired).toEqual([k1.kid]);
    });

    it('follows the key set settings (shorter JWKS cache time)', () => {
      const short = { ...promoted, settings: { maxAssertionLifetimeMs: 60_000, maxJwksCacheMs: 3_600_000 } };
      expect(() => retirePreviousKeys(short, { now: demotedAt + MINUTE + 3_600_000 - 1 })).toThrow(
        /retired after/,
      );
      expect(retirePreviousKeys(short, { now: demotedAt + MINUTE + 3_600_000 }).retired).toEqual([k1.kid]);
    });

    it('retires only the keys past their grace period and reports the others', () => {
      const staged = stageKey(promoted, k3, { now: demotedAt + DAY });
      const twice = promoteNextKey(staged, { force: true, now: demotedAt + DAY });
      expect(publishedKids(twice)).toEqual([k3.kid, k2.kid, k1.kid]);
      const result = retirePreviousKeys(twice, { now: demotedAt + DAY + MINUTE });
      expect(result.retired).toEqual([k1.kid]);
      expect(result.remaining).toEqual([
        { kid: k2.kid, retireAfter: new Date(demotedAt + DAY + MINUTE + DAY) },
      ]);
      expect(publishedKids(result.keySet)).toEqual([k3.kid, k2.kid]);
    });
  });

  it('CIMD-KEY-03 the public JWKS carries no private member at any step, and lints clean', () => {
    const staged = stageKey(initial, k2, { now: T0 });
    const promoted = promoteNextKey(staged, { force: true, now: T0 });
    for (const set of [initial, staged, promoted]) {
      const jwks = publicJwks(set);
      expect(lintJwks(jwks, { signingAlg: 'ES256' })).toEqual([]);
      for (const key of jwks.keys) {
        for (const member of PRIVATE_JWK_MEMBERS) expect(key).not.toHaveProperty(member);
        expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      }
    }
  });
});
