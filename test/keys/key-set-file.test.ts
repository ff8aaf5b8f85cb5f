import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKeySet,
  generateClientKey,
  isKeySetError,
  type KeySet,
  loadKeySet,
  saveKeySet,
  serializeKeySet,
  stageKey,
} from '../../src/keys/index.js';
import { T0, tempDir } from './fixtures.js';

describe('the key set file', () => {
  const dir = tempDir('cimd-keys-file-');
  let set: KeySet;
  const write = (name: string, value: unknown) => {
    const path = join(dir.path, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };
  const refusal = (pattern: RegExp) => (error: unknown) =>
    isKeySetError(error, 'ERR_KEYS_INVALID_FILE') && pattern.test((error as Error).message);

  beforeAll(async () => {
    set = stageKey(
      createKeySet(await generateClientKey('ES256'), {
        jwksUri: 'https://app.example.com/jwks.json',
        now: T0,
      }),
      await generateClientKey('EdDSA'),
      { now: T0 + 1000 },
    );
  });
  afterAll(() => dir.remove());

  it('round-trips: format version, jwksUri, settings (60 s, 24 h), states and timestamps', async () => {
    const path = join(dir.path, 'round-trip.json');
    await saveKeySet(path, set);
    const loaded = await loadKeySet(path);
    expect(loaded).toEqual(set);
    const raw = JSON.parse(readFileSync(path, 'utf8'));
    expect(raw.version).toBe(1);
    expect(raw.jwksUri).toBe('https://app.example.com/jwks.json');
    expect(raw.settings).toEqual({ maxAssertionLifetimeMs: 60_000, maxJwksCacheMs: 86_400_000 });
    expect(raw.keys.map((key: { state: string }) => key.state)).toEqual(['current', 'next']);
    expect(raw.keys[0]).toMatchObject({
      createdAt: '2030-01-01T00:00:00.000Z',
      promotedAt: '2030-01-01T00:00:00.000Z',
    });
    expect(raw.keys[1]).toMatchObject({ stagedAt: '2030-01-01T00:00:01.000Z' });
  });

  it('writes atomically with mode 0600, even over a file others could read, and leaves no temporary file', async () => {
    const path = write('overwrite.json', '{}');
    chmodSync(path, 0o644);
    await saveKeySet(path, set);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir.path).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses to write an invalid key set and leaves the file as it was', async () => {
    const path = write('kept.json', 'old');
    const broken = { ...set, keys: set.keys.map((key) => ({ ...key, state: 'current' as const })) };
    await expect(saveKeySet(path, broken)).rejects.toSatisfy(refusal(/exactly one key must be current/));
    expect(readFileSync(path, 'utf8')).toBe('old');
  });

  it('says what is wrong with a missing, non-JSON or malformed file', async () => {
    await expect(loadKeySet(join(dir.path, 'missing.json'))).rejects.toSatisfy(refusal(/cimd keys generate/));
    await expect(loadKeySet(write('not-json.json', '{'))).rejects.toSatisfy(refusal(/not valid JSON/));
    await expect(loadKeySet(write('v2.json', { ...set, version: 2 }))).rejects.toSatisfy(refusal(/version/));
    await expect(loadKeySet(write('no-keys.json', { ...set, keys: [] }))).rejects.toSatisfy(refusal(/keys/));
  });

  it('refuses a second next key, a duplicate kid, a previous key without demotedAt', async () => {
    const [current, next] = set.keys as [KeySet['keys'][number], KeySet['keys'][number]];
    const twoNext = { ...set, keys: [current, next, { ...current, state: 'next' }] };
    await expect(loadKeySet(write('two-next.json', twoNext))).rejects.toSatisfy(
      refusal(/at most one key may be next/),
    );
    const previous = { ...set, keys: [current, { ...next, state: 'previous' }] };
    await expect(loadKeySet(write('previous.json', previous))).rejects.toSatisfy(refusal(/demotedAt/));
    const duplicate = {
      ...set,
      keys: [current, { ...current, state: 'previous', demotedAt: current.createdAt }],
    };
    await expect(loadKeySet(write('duplicate.json', duplicate))).rejects.toSatisfy(refusal(/used twice/));
  });

  it('refuses a kid that is not the thumbprint of its key, a key without "d", an http jwksUri', async () => {
    const [current, next] = set.keys as [KeySet['keys'][number], KeySet['keys'][number]];
    const swapped = {
      ...set,
      keys: [{ ...current, privateJwk: { ...next.privateJwk, kid: current.kid, alg: 'ES256' } }],
    };
    await expect(loadKeySet(write('swapped.json', swapped))).rejects.toSatisfy(
      refusal(/ES256 key must be kty EC/),
    );
    const { d: _d, ...publicOnly } = current.privateJwk;
    await expect(
      loadKeySet(write('public-only.json', { ...set, keys: [{ ...current, privateJwk: publicOnly }] })),
    ).rejects.toSatisfy(refusal(/no private part/));
    const otherKey = await generateClientKey('ES256');
    const wrongKid = {
      ...set,
      keys: [{ ...current, privateJwk: { ...otherKey.privateJwk, kid: current.kid } }],
    };
    await expect(loadKeySet(write('wrong-kid.json', wrongKid))).rejects.toSatisfy(
      refusal(/not the RFC 7638 thumbprint/),
    );
    const http = { ...set, jwksUri: 'http://app.example.com/jwks.json' };
    await expect(loadKeySet(write('http.json', http))).rejects.toSatisfy(refusal(/https/));
  });

  it('serializes keys in canonical order: current, next, previous', () => {
    const reversed = { ...set, keys: [...set.keys].reverse() };
    expect(JSON.parse(serializeKeySet(reversed)).keys.map((key: { state: string }) => key.state)).toEqual([
      'current',
      'next',
    ]);
  });
});
