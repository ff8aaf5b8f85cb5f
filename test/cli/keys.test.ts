/**
 * `cimd keys` as a subprocess of the built code, against a real HTTPS loopback host that serves
 * whatever was last "published" (copied from the local jwks.json).
 */
import { createPrivateKey } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpsHost, startHttpsHost } from '../helpers/https-host.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';
import { DAY, tempDir } from '../keys/fixtures.js';
import { runKeysHostCli } from './keys-host-cli.js';

describe('cimd keys (the built command as a subprocess)', () => {
  const dir = tempDir('cimd-keys-cli-');
  let ca: TestCa;
  let host: HttpsHost;
  let env: Record<string, string>;
  const file = (name: string) => join(dir.path, name);
  const readJson = (name: string) => JSON.parse(readFileSync(file(name), 'utf8'));
  const cimd = (args: string[]) => runKeysHostCli(args, { cwd: dir.path, env });
  /** What the host serves at /<name>/jwks.json: the file last published there. */
  const publish = (name: string) => copyFileSync(file(`${name}/jwks.json`), file(`${name}/served.json`));

  beforeAll(async () => {
    ca = createTestCa();
    host = await startHttpsHost(ca);
    env = { NODE_EXTRA_CA_CERTS: ca.caCertPath };
    for (const name of ['flow', 'status', 'force']) {
      host.route(`/${name}/jwks.json`, (_req, res) => {
        const path = file(`${name}/served.json`);
        if (!existsSync(path)) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(readFileSync(path));
      });
    }
  });
  afterAll(async () => {
    await host?.close();
    ca?.dispose();
    dir.remove();
  });

  describe('generate', () => {
    it('writes the key set (0600) and the public JWKS (0644) beside it; kid is the thumbprint', async () => {
      const result = await cimd([
        'keys',
        'generate',
        '--out',
        'gen/cimd-keys.json',
        '--jwks-uri',
        'https://app.example.com/jwks.json',
      ]);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('Generated the key');
      expect(result.stderr).toContain('publish gen/jwks.json at https://app.example.com/jwks.json');
      expect(statSync(file('gen/cimd-keys.json')).mode & 0o777).toBe(0o600);
      expect(statSync(file('gen/jwks.json')).mode & 0o777).toBe(0o644);
      const set = readJson('gen/cimd-keys.json');
      expect(set).toMatchObject({ version: 1, jwksUri: 'https://app.example.com/jwks.json' });
      expect(set.settings).toEqual({ maxAssertionLifetimeMs: 60_000, maxJwksCacheMs: 86_400_000 });
      const jwks = readJson('gen/jwks.json');
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0]).not.toHaveProperty('d');
      expect(jwks.keys[0]).toMatchObject({ alg: 'ES256', use: 'sig', kid: set.keys[0].kid });
      expect(await calculateJwkThumbprint(jwks.keys[0])).toBe(set.keys[0].kid);
    });

    it('refuses to overwrite without --force (exit 2), and overwrites with it', async () => {
      const refused = await cimd(['keys', 'generate', '--out', 'gen/cimd-keys.json']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/already exists; pass --force/);
      const before = readJson('gen/cimd-keys.json').keys[0].kid;
      const forced = await cimd([
        'keys',
        'generate',
        '--out',
        'gen/cimd-keys.json',
        '--force',
        '--alg',
        'RS256',
        '--json',
      ]);
      expect(forced.code).toBe(0);
      const printed = JSON.parse(forced.stdout);
      expect(printed).toMatchObject({
        alg: 'RS256',
        keysFile: 'gen/cimd-keys.json',
        pemFile: null,
        jwksUri: null,
      });
      expect(printed.kid).not.toBe(before);
      expect(readJson('gen/jwks.json').keys[0].kid).toBe(printed.kid);
    });

    it('--format pem also writes the private key as PKCS#8 PEM (0600) and prints its name', async () => {
      const result = await cimd([
        'keys',
        'generate',
        '--out',
        'pem/keys.json',
        '--alg',
        'EdDSA',
        '--format',
        'pem',
        '--json',
      ]);
      expect(result.code).toBe(0);
      const { pemFile, kid } = JSON.parse(result.stdout);
      expect(pemFile).toBe(`pem/keys-${kid}.pem`);
      expect(result.stderr).toContain(pemFile);
      expect(statSync(file(pemFile)).mode & 0o777).toBe(0o600);
      const pem = readFileSync(file(pemFile), 'utf8');
      expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(createPrivateKey(pem).asymmetricKeyType).toBe('ed25519');
    });

    it('--jwks names the public file; a bad --alg or --jwks-uri is a usage error (exit 2)', async () => {
      const named = await cimd([
        'keys',
        'generate',
        '--out',
        'named/k.json',
        '--jwks',
        'named/public/keys.json',
      ]);
      expect(named.code).toBe(0);
      expect(readJson('named/public/keys.json').keys).toHaveLength(1);
      expect((await cimd(['keys', 'generate', '--out', 'bad/k.json', '--alg', 'HS256'])).code).toBe(2);
      const http = await cimd([
        'keys',
        'generate',
        '--out',
        'bad/k.json',
        '--jwks-uri',
        'http://app.example.com/jwks.json',
      ]);
      expect(http.code).toBe(2);
      expect(http.stderr).toMatch(/https URL/);
    });
  });

  it('export --public prints the public JWKS; without --public it refuses (exit 2)', async () => {
    const result = await cimd(['keys', 'export', '--public', '--keys', 'gen/cimd-keys.json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(readJson('gen/jwks.json'));
    expect(result.stdout).not.toContain('"d"');
    const refused = await cimd(['keys', 'export', '--keys', 'gen/cimd-keys.json']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('cimd keys export --public');
  });

  it('rotate: a missing or double step, promote without a next key, retire without a previous key exit 2', async () => {
    const keys = ['--keys', 'gen/cimd-keys.json'];
    const none = await cimd(['keys', 'rotate', ...keys]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/choose a step/);
    expect((await cimd(['keys', 'rotate', '--stage', '--promote', ...keys])).code).toBe(2);
    const promote = await cimd(['keys', 'rotate', '--promote', ...keys]);
    expect(promote.code).toBe(2);
    expect(promote.stderr).toMatch(/no next key to promote: stage one first \(cimd keys rotate --stage\)/);
    const retire = await cimd(['keys', 'rotate', '--retire', ...keys]);
    expect(retire.code).toBe(2);
    expect(retire.stderr).toContain('no previous key to retire');
    const missing = await cimd(['keys', 'rotate', '--stage', '--keys', 'nowhere.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cimd keys generate');
  });

  it('a whole rotation: stage, promote refused until published, retire refused until the grace period ends', async () => {
    const jwksUri = `${host.origin}/flow/jwks.json`;
    const keys = ['--keys', 'flow/cimd-keys.json'];
    const net = ['--allow-private-network'];
    expect(
      (await cimd(['keys', 'generate', '--out', 'flow/cimd-keys.json', '--jwks-uri', jwksUri])).code,
    ).toBe(0);
    const k1 = readJson('flow/cimd-keys.json').keys[0].kid;

    const unserved = await cimd(['keys', 'status', ...keys, ...net]);
    expect(unserved.code).toBe(2);
    expect(unserved.stderr).toMatch(/could not fetch the JWKS: .*flow\/jwks\.json/);
    publish('flow');
    const good = await cimd(['keys', 'status', ...keys, ...net]);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/current\s+ES256 \S+ {2}published/);
    expect(good.stdout).toContain('all good');

    const staged = await cimd(['keys', 'rotate', '--stage', ...keys]);
    expect(staged.code).toBe(0);
    expect(staged.stderr).toContain(
      `publish flow/jwks.json at ${jwksUri}, then run cimd keys rotate --promote`,
    );
    const k2 = readJson('flow/cimd-keys.json').keys.find(
      (key: { state: string }) => key.state === 'next',
    ).kid;
    expect(readJson('flow/jwks.json').keys.map((key: { kid: string }) => key.kid)).toEqual([k1, k2]);
    const waiting = await cimd(['keys', 'status', ...keys, ...net]);
    expect(waiting.code).toBe(0);
    expect(waiting.stdout).toContain(`the next key ${k2} is not published yet at ${jwksUri}: do not promote`);

    const early = await cimd(['keys', 'rotate', '--promote', ...keys, ...net]);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain(
      `the next key ${k2} is not published yet at ${jwksUri}: publish the JWKS, then promote`,
    );
    expect(readJson('flow/cimd-keys.json').keys[0]).toMatchObject({ kid: k1, state: 'current' });

    publish('flow');
    const ready = await cimd(['keys', 'status', ...keys, ...net, '--json']);
    expect(ready.code).toBe(0);
    expect(JSON.parse(ready.stdout).items.map((item: { code: string }) => item.code)).toEqual([
      'next-ready',
      'all-good',
    ]);
    const promoted = await cimd(['keys', 'rotate', '--promote', ...keys, ...net]);
    expect(promoted.code).toBe(0);
    expect(promoted.stderr).toContain(`Promoted ${k2}: it signs from now on`);
    const afterPromotion = readJson('flow/cimd-keys.json');
    expect(afterPromotion.keys.map((key: { state: string }) => key.state)).toEqual(['current', 'previous']);
    expect(afterPromotion.keys[0].publishedAt).toEqual(expect.any(String));

    publish('flow');
    const grace = await cimd(['keys', 'status', ...keys, ...net]);
    expect(grace.code).toBe(0);
    expect(grace.stdout).toMatch(new RegExp(`previous key ${k1} may be retired after \\d{4}-`));

    const tooSoon = await cimd(['keys', 'rotate', '--retire', ...keys]);
    expect(tooSoon.code).toBe(1);
    expect(tooSoon.stderr).toMatch(/can be retired after \d{4}-\d\d-\d\dT/);
    expect(tooSoon.stderr).toContain('[ERR_KEYS_GRACE_PERIOD]');

    // Two days later (the key set file records when k1 stopped signing).
    const set = readJson('flow/cimd-keys.json');
    set.keys[1].demotedAt = new Date(Date.now() - 2 * DAY).toISOString();
    writeFileSync(file('flow/cimd-keys.json'), JSON.stringify(set));
    const retired = await cimd(['keys', 'rotate', '--retire', ...keys, '--json']);
    expect(retired.code).toBe(0);
    expect(JSON.parse(retired.stdout)).toMatchObject({ step: 'retire', retired: [k1], remaining: [] });
    expect(readJson('flow/jwks.json').keys.map((key: { kid: string }) => key.kid)).toEqual([k2]);
    const stale = await cimd(['keys', 'status', ...keys, ...net]);
    expect(stale.code).toBe(0);
    expect(stale.stdout).toContain(`the served key ${k1} is not in this key set`);
    publish('flow');
    const done = await cimd(['keys', 'status', ...keys, ...net]);
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('all good');
  }, 90_000);

  it('--force promotes without the check and retires inside the grace period (with warnings)', async () => {
    const keys = ['--keys', 'force/cimd-keys.json'];
    await cimd([
      'keys',
      'generate',
      '--out',
      'force/cimd-keys.json',
      '--jwks-uri',
      `${host.origin}/force/jwks.json`,
    ]);
    await cimd(['keys', 'rotate', '--stage', ...keys]);
    const promoted = await cimd(['keys', 'rotate', '--promote', '--force', ...keys]);
    expect(promoted.code).toBe(0);
    expect(promoted.stderr).toContain('Warning: --force: promoting without checking');
    const retired = await cimd(['keys', 'rotate', '--retire', '--force', ...keys]);
    expect(retired.code).toBe(0);
    expect(retired.stderr).toContain('Warning: --force: retiring before the grace period');
    expect(readJson('force/cimd-keys.json').keys).toHaveLength(1);
  });

  it('status: exit 1 when the current key is not served or a private key is; --json says why', async () => {
    const keys = ['--keys', 'status/cimd-keys.json', '--allow-private-network'];
    await cimd([
      'keys',
      'generate',
      '--out',
      'status/cimd-keys.json',
      '--jwks-uri',
      `${host.origin}/status/jwks.json`,
    ]);
    writeFileSync(file('status/served.json'), JSON.stringify({ keys: [] }));
    const missing = await cimd(['keys', 'status', ...keys]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/NOT published/);
    expect(missing.stdout).toMatch(/the current key \S+ is not served/);
    const set = readJson('status/cimd-keys.json');
    writeFileSync(file('status/served.json'), JSON.stringify({ keys: [set.keys[0].privateJwk] }));
    const leaked = await cimd(['keys', 'status', ...keys, '--json']);
    expect(leaked.code).toBe(1);
    const report = JSON.parse(leaked.stdout);
    expect(report).toMatchObject({
      checked: true,
      consistent: false,
      jwksUri: `${host.origin}/status/jwks.json`,
    });
    expect(report.items[0]).toMatchObject({ level: 'error', code: 'private-key-published' });
    expect(leaked.stdout).not.toContain(set.keys[0].privateJwk.d);
  });

  it('status: exit 2 without a jwksUri or without --allow-private-network for a loopback one', async () => {
    const noUri = await cimd(['keys', 'status', '--keys', 'gen/cimd-keys.json', '--json']);
    expect(noUri.code).toBe(2);
    expect(JSON.parse(noUri.stdout)).toMatchObject({
      checked: false,
      problem: { code: 'ERR_KEYS_NO_JWKS_URI' },
    });
    expect(noUri.stderr).toContain('--jwks-uri');
    const blocked = await cimd(['keys', 'status', '--keys', 'status/cimd-keys.json']);
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toContain('ERR_SSRF_BLOCKED');
  });

  it('rotate --jwks-uri alone records where the JWKS is served', async () => {
    const result = await cimd([
      'keys',
      'rotate',
      '--keys',
      'gen/cimd-keys.json',
      '--jwks-uri',
      'https://app.example.com/k.json',
    ]);
    expect(result.code).toBe(0);
    expect(readJson('gen/cimd-keys.json').jwksUri).toBe('https://app.example.com/k.json');
  });

  it('warns when the key set file can be read by others', async () => {
    chmodSync(file('gen/cimd-keys.json'), 0o644);
    const result = await cimd(['keys', 'export', '--public', '--keys', 'gen/cimd-keys.json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('others may read it (mode 0644); run chmod 600');
    rmSync(file('gen/cimd-keys.json'));
  });
});
