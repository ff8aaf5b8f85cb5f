/**
 * `autoRotateStep` (pure, with an injected clock, key maker and published JWKS): one due step per
 * call, the published JWKS asked for only while a next key waits, and a `none` that changes nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  autoRotateStep,
  type ClientKey,
  createKeySet,
  generateClientKey,
  type KeySet,
  keySetStatus,
  publicJwks,
  stageKey,
} from '../../src/keys/index.js';
import { DAY, T0 } from './fixtures.js';

describe('autoRotateStep', () => {
  let k1: ClientKey;
  let k2: ClientKey;
  let initial: KeySet;
  beforeAll(async () => {
    [k1, k2] = await Promise.all([generateClientKey(), generateClientKey()]);
    initial = createKeySet(k1, { jwksUri: 'https://app.example.com/oauth/jwks.json', now: T0 });
  });

  it('walks a rotation one step per call; the JWKS is fetched only while a next key waits', async () => {
    let served: unknown = publicJwks(initial);
    let fetches = 0;
    const options = (now: number) => ({
      now,
      maxKeyAgeMs: 30 * DAY,
      generateKey: async () => k2,
      fetchPublished: async () => {
        fetches += 1;
        return served;
      },
    });
    const young = await autoRotateStep(initial, options(T0 + 29 * DAY));
    expect(young).toMatchObject({ step: 'none' });
    expect(young.keySet).toBe(initial);
    expect(fetches).toBe(0);

    const staged = await autoRotateStep(initial, options(T0 + 30 * DAY));
    expect(staged).toMatchObject({ step: 'stage', kid: k2.kid });
    const waiting = await autoRotateStep(staged.keySet, options(T0 + 30 * DAY));
    expect(waiting).toMatchObject({ step: 'none' });
    expect(waiting.message).toContain(`the next key ${k2.kid} is not published yet`);
    expect(fetches).toBe(1);

    served = publicJwks(staged.keySet);
    const promoted = await autoRotateStep(staged.keySet, options(T0 + 31 * DAY));
    expect(promoted).toMatchObject({ step: 'promote', kid: k2.kid, previous: k1.kid });
    const inGrace = await autoRotateStep(promoted.keySet, options(T0 + 31 * DAY + 1));
    expect(inGrace).toMatchObject({ step: 'none' });
    const retired = await autoRotateStep(promoted.keySet, options(T0 + 33 * DAY));
    expect(retired).toMatchObject({ step: 'retire', retired: [k1.kid] });
    expect(fetches).toBe(2);
  });

  it('keySetStatus warns about the age only when asked, and not while a next key is staged', () => {
    const old = T0 + 100 * DAY;
    const jwks = publicJwks(initial);
    expect(keySetStatus(initial, jwks, { now: old }).items.map((item) => item.code)).toEqual(['all-good']);
    expect(keySetStatus(initial, jwks, { now: old, maxKeyAgeMs: 90 * DAY }).items[0]).toMatchObject({
      level: 'warning',
      code: 'current-too-old',
    });
    const staged = stageKey(initial, k2, { now: old });
    const codes = keySetStatus(staged, publicJwks(staged), { now: old, maxKeyAgeMs: 90 * DAY }).items.map(
      (item) => item.code,
    );
    expect(codes).not.toContain('current-too-old');
  });
});
