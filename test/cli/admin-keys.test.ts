/**
 * `cimd admin keys` (the built bin) on the signing keys of a running `cimd serve`: `list` shows
 * what `/jwks` publishes, with ages; `rotate` changes what the running server publishes (the new
 * key first, the previous one kept until the tokens it signed expire).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltBin, runCimd } from '../helpers/run-cli.js';
import { cleanEnv, killAll, serve } from '../serve/served.js';

const RESOURCE = 'http://127.0.0.1:4001/mcp';
const dir = mkdtempSync(join(tmpdir(), 'cimd-admin-keys-test-'));

async function adminJson(args: string[]): Promise<Record<string, unknown>> {
  const result = await runCimd(['admin', ...args, '--json'], { env: cleanEnv(), cwd: dir });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

async function publishedKids(url: string): Promise<string[]> {
  const response = await fetch(`${url}/jwks`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
}

beforeAll(() => requireBuiltBin());
afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('cimd admin keys', () => {
  it('rotate changes the JWKS a running cimd serve on the same store publishes; list shows kids and ages', {
    timeout: 60_000,
  }, async () => {
    const database = join(dir, 'cimd.sqlite');
    const served = await serve(['--port', '0', '--database', database, '--resource', RESOURCE], { cwd: dir });
    const before = await publishedKids(served.listening.url);
    expect(before).toHaveLength(1);

    const listed = await adminJson(['keys', 'list', '--database', database]);
    expect(listed.storage).toEqual({ kind: 'file', path: join(dir, 'cimd.signing-keys.json') });
    const keys = listed.keys as Record<string, unknown>[];
    expect(keys.map((key) => key.kid)).toEqual(before);
    expect(keys[0]).toMatchObject({ alg: 'ES256', state: 'current', retiredAt: null, published: true });
    expect(Object.keys(keys[0] ?? {}).sort()).toEqual(
      ['ageSeconds', 'alg', 'createdAt', 'kid', 'published', 'retiredAt', 'state'].sort(),
    );
    expect(keys[0]?.ageSeconds).toBeGreaterThanOrEqual(0);

    const rotated = await adminJson(['keys', 'rotate', '--database', database]);
    expect(rotated).toMatchObject({ rotated: true, previousKid: before[0] });
    expect(rotated.currentKid).not.toBe(before[0]);
    const after = await publishedKids(served.listening.url);
    expect(after).toEqual([rotated.currentKid, before[0]]);
    const relisted = (await adminJson(['keys', 'list', '--database', database])).keys as Record<
      string,
      unknown
    >[];
    expect(relisted.map((key) => [key.kid, key.state, key.published])).toEqual([
      [rotated.currentKid, 'current', true],
      [before[0], 'retired', true],
    ]);

    const table = await runCimd(['admin', 'keys', 'list', '--database', database], {
      env: cleanEnv(),
      cwd: dir,
    });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^KID\s+ALG\s+STATE\s+AGE/);
    expect(table.stdout).toContain(String(rotated.currentKid));
    expect(await served.stop()).toBe(0);
  });

  it('a missing SQLite file is not created (exit 2), and a store without keys has none to rotate (exit 1)', async () => {
    const missing = join(dir, 'missing', 'cimd.sqlite');
    const absent = await runCimd(['admin', 'keys', 'list', '--database', missing], {
      env: cleanEnv(),
      cwd: dir,
    });
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain(`there is no database at ${missing}`);
    expect(existsSync(missing)).toBe(false);

    const database = join(dir, 'keyless.sqlite');
    const served = await serve(
      [
        '--port',
        '0',
        '--database',
        database,
        '--resource',
        RESOURCE,
        '--signing-keys',
        join(dir, 'keyless-keys.json'),
      ],
      { cwd: dir },
    );
    expect(await served.stop()).toBe(0);
    const keyless = await runCimd(
      [
        'admin',
        'keys',
        'rotate',
        '--database',
        database,
        '--signing-keys',
        join(dir, 'never-written.json'),
        '--json',
      ],
      { env: cleanEnv(), cwd: dir },
    );
    expect(keyless.code).toBe(1);
    expect(JSON.parse(keyless.stdout)).toMatchObject({ rotated: false, keys: [] });
    expect(keyless.stderr).toContain('nothing to rotate');
    expect(existsSync(join(dir, 'never-written.json'))).toBe(false);
  }, 60_000);

  it('an in-memory database has no keys to rotate (exit 2)', async () => {
    const result = await runCimd(['admin', 'keys', 'rotate', '--database', ':memory:'], {
      env: cleanEnv(),
      cwd: dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the memory store lives inside one server process');
  });
});
