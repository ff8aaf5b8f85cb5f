import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { isCimdError } from '../../../src/errors.js';
import { issueAccessToken } from '../../../src/server/tokens/access-token.js';
import {
  fileSigningKeyStorage,
  memorySigningKeyStorage,
  SIGNING_KEY_FILE_MODE,
} from '../../../src/server/tokens/signing-key-storage.js';
import {
  createSigningKeyManager,
  DEFAULT_ROTATION_INTERVAL_MS,
} from '../../../src/server/tokens/signing-keys.js';

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function clock(start = T0) {
  let current = start;
  return {
    now: () => current,
    advance: (ms: number) => {
      current += ms;
    },
  };
}

describe('signing keys: generation', () => {
  it('generates an ES256 key by default whose kid is its RFC 7638 thumbprint', async () => {
    const keys = createSigningKeyManager();
    const signing = await keys.signingKey();
    expect(signing.alg).toBe('ES256');
    const { keys: published } = await keys.publicJwks();
    expect(published).toHaveLength(1);
    const [jwk] = published;
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: signing.kid });
    expect(await calculateJwkThumbprint(jwk!, 'sha256')).toBe(signing.kid);
  });

  it.each(['RS256', 'PS256', 'EdDSA'] as const)('generates %s keys when asked', async (alg) => {
    const keys = createSigningKeyManager({ alg });
    const signing = await keys.signingKey();
    expect(signing.alg).toBe(alg);
    const [jwk] = (await keys.publicJwks()).keys;
    expect(jwk?.alg).toBe(alg);
    expect(jwk?.kty).toBe(alg === 'EdDSA' ? 'OKP' : 'RSA');
    expect(await calculateJwkThumbprint(jwk!, 'sha256')).toBe(signing.kid);
  });

  it('signs tokens the published key verifies', async () => {
    const keys = createSigningKeyManager();
    const { token } = await issueAccessToken(keys, {
      issuer: 'https://as.example.com',
      subject: 'user-1',
      clientId: 'https://app.example.com/client.json',
      audience: 'https://mcp.example.com/mcp',
    });
    const [jwk] = (await keys.publicJwks()).keys;
    const { importJWK } = await import('jose');
    await expect(jwtVerify(token, await importJWK(jwk!, 'ES256'))).resolves.toBeDefined();
  });

  it('keeps one key across calls until it is due', async () => {
    const time = clock();
    const keys = createSigningKeyManager({ now: time.now });
    const first = await keys.signingKey();
    time.advance(DEFAULT_ROTATION_INTERVAL_MS - 1);
    expect((await keys.signingKey()).kid).toBe(first.kid);
  });

  it('never publishes private key members, for any algorithm', async () => {
    for (const alg of ['ES256', 'RS256', 'PS256', 'EdDSA'] as const) {
      const time = clock();
      const keys = createSigningKeyManager({ alg, now: time.now, rotationIntervalMs: DAY });
      await keys.signingKey();
      time.advance(DAY);
      await keys.signingKey(); // a retired key is published too
      const { keys: published } = await keys.publicJwks();
      expect(published).toHaveLength(2);
      for (const jwk of published) {
        for (const member of PRIVATE_MEMBERS) expect(jwk).not.toHaveProperty(member);
      }
      expect(JSON.stringify(published)).not.toMatch(/"(d|p|q|dp|dq|qi)"/);
    }
  });

  it('refuses invalid options', () => {
    const cases: Parameters<typeof createSigningKeyManager>[0][] = [
      { alg: 'HS256' as never },
      { alg: 'none' as never },
      { rotationIntervalMs: 0 },
      { rotationIntervalMs: 1.5 },
      { tokenLifetimeMs: -1 },
      { clockSkewMs: -1 },
      { storage: {} as never },
    ];
    for (const options of cases) {
      expect(() => createSigningKeyManager(options), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });
});

describe('signing keys: rotation', () => {
  it('rotates after the interval, keeps the previous key published for tokenLifetime + skew, then drops it', async () => {
    const time = clock();
    const keys = createSigningKeyManager({
      now: time.now,
      rotationIntervalMs: 7 * DAY,
      tokenLifetimeMs: HOUR,
      clockSkewMs: 30_000,
    });
    const first = await keys.signingKey();
    time.advance(7 * DAY);
    const second = await keys.signingKey();
    expect(second.kid).not.toBe(first.kid);
    const kids = async () => (await keys.publicJwks()).keys.map((jwk) => jwk.kid);
    expect(await kids()).toEqual([second.kid, first.kid]);

    time.advance(HOUR + 30_000 - 1);
    expect(await kids()).toEqual([second.kid, first.kid]);
    time.advance(1);
    expect(await kids()).toEqual([second.kid]);
  });

  it('a token signed just before rotation still verifies against the published set until it expires', async () => {
    const time = clock();
    const keys = createSigningKeyManager({ now: time.now, rotationIntervalMs: DAY, tokenLifetimeMs: HOUR });
    await keys.signingKey(); // the first key, created at T0
    time.advance(DAY - 1000);
    const { token } = await issueAccessToken(keys, {
      issuer: 'https://as.example.com',
      subject: 'u',
      clientId: 'c',
      audience: 'https://mcp.example.com/mcp',
      lifetimeMs: HOUR,
      now: time.now,
    });
    time.advance(1000);
    await keys.signingKey(); // rotates
    time.advance(HOUR - 2000); // one second before the token expires
    const { createLocalJWKSet } = await import('jose');
    const jwks = createLocalJWKSet(await keys.publicJwks());
    await expect(jwtVerify(token, jwks, { currentDate: new Date(time.now()) })).resolves.toBeDefined();
    expect(decodeProtectedHeader(token).kid).not.toBe((await keys.signingKey()).kid);
  });

  it('rotate() retires the current key at once', async () => {
    const keys = createSigningKeyManager();
    const first = await keys.signingKey();
    await keys.rotate();
    const second = await keys.signingKey();
    expect(second.kid).not.toBe(first.kid);
    expect((await keys.publicJwks()).keys.map((jwk) => jwk.kid)).toEqual([second.kid, first.kid]);
  });

  it('rotates at the next use when the configured algorithm changes', async () => {
    const storage = memorySigningKeyStorage();
    const es = await createSigningKeyManager({ storage }).signingKey();
    const ed = await createSigningKeyManager({ storage, alg: 'EdDSA' }).signingKey();
    expect(ed.alg).toBe('EdDSA');
    expect(ed.kid).not.toBe(es.kid);
  });

  it('concurrent first uses generate a single key', async () => {
    const storage = memorySigningKeyStorage();
    const keys = createSigningKeyManager({ storage });
    const results = await Promise.all([
      keys.signingKey(),
      keys.signingKey(),
      keys.publicJwks(),
      keys.signingKey(),
    ]);
    const kids = new Set(
      results.flatMap((result) => ('keys' in result ? result.keys.map((k) => k.kid) : result.kid)),
    );
    expect(kids.size).toBe(1);
  });

  it('two managers on one storage converge: the second adopts the key the first rotated to', async () => {
    const time = clock();
    const storage = memorySigningKeyStorage();
    const options = { storage, now: time.now, rotationIntervalMs: DAY };
    const a = createSigningKeyManager(options);
    const b = createSigningKeyManager(options);
    const initial = await a.signingKey();
    expect((await b.signingKey()).kid).toBe(initial.kid);
    time.advance(DAY);
    const rotated = await a.signingKey();
    expect(rotated.kid).not.toBe(initial.kid);
    // b is due too, but re-loads before rotating and finds a's fresh key.
    expect((await b.signingKey()).kid).toBe(rotated.kid);
    expect((await b.publicJwks()).keys.map((jwk) => jwk.kid)).toEqual([rotated.kid, initial.kid]);
  });

  it('publicJwks() re-loads, so a manager publishes a key another manager started signing with', async () => {
    const storage = memorySigningKeyStorage();
    const a = createSigningKeyManager({ storage });
    const b = createSigningKeyManager({ storage });
    const first = await a.signingKey();
    await b.signingKey();
    await b.rotate();
    const second = await b.signingKey();
    expect((await a.publicJwks()).keys.map((jwk) => jwk.kid)).toEqual([second.kid, first.kid]);
  });

  it('refuses unreadable stored data with a clear error', async () => {
    const storage = memorySigningKeyStorage();
    await storage.save('{"version":2}');
    const keys = createSigningKeyManager({ storage });
    await expect(keys.signingKey()).rejects.toSatisfy((error) => isCimdError(error, 'ERR_INVALID_OPTION'));
  });
});

describe('signing keys: file storage', () => {
  const directories: string[] = [];
  afterEach(async () => {
    for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
  });
  async function tempDir() {
    const directory = await mkdtemp(join(tmpdir(), 'cimd-keys-'));
    directories.push(directory);
    return directory;
  }

  it('persists the key set across manager instances, in a file of mode 0600', async () => {
    const directory = await tempDir();
    const path = join(directory, 'nested', 'signing-keys.json');
    const first = await createSigningKeyManager({ storage: fileSigningKeyStorage(path) }).signingKey();
    const mode = (await stat(path)).mode & 0o777;
    expect(mode).toBe(SIGNING_KEY_FILE_MODE);
    const again = createSigningKeyManager({ storage: fileSigningKeyStorage(path) });
    expect((await again.signingKey()).kid).toBe(first.kid);
    expect((await again.publicJwks()).keys.map((jwk) => jwk.kid)).toEqual([first.kid]);
    // The stored text holds the private key (that is why the file is 0600) ...
    expect(JSON.parse(await readFile(path, 'utf8')).keys[0].privateJwk.d).toEqual(expect.any(String));
    // ... and no temporary file is left behind.
    expect(await readdir(join(directory, 'nested'))).toEqual(['signing-keys.json']);
  });

  it('keeps mode 0600 and the retired key across a rotation', async () => {
    const directory = await tempDir();
    const path = join(directory, 'keys.json');
    const time = clock();
    const keys = createSigningKeyManager({
      storage: fileSigningKeyStorage(path),
      now: time.now,
      rotationIntervalMs: DAY,
    });
    const first = await keys.signingKey();
    time.advance(DAY);
    const second = await keys.signingKey();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const reopened = createSigningKeyManager({
      storage: fileSigningKeyStorage(path),
      now: time.now,
      rotationIntervalMs: DAY,
    });
    expect((await reopened.publicJwks()).keys.map((jwk) => jwk.kid)).toEqual([second.kid, first.kid]);
  });

  it('loads nothing from a missing file', async () => {
    const directory = await tempDir();
    await expect(fileSigningKeyStorage(join(directory, 'absent.json')).load()).resolves.toBeUndefined();
  });
});
