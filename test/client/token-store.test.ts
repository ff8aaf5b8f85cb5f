/**
 * Token storage: the file store's modes (0700 folder, 0600 file), atomic writes and keying by
 * (issuer, resource, client id) (MCP-C-21, MCP-C-23); the configuration folder per platform.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfigDir } from '../../src/client/config-dir.js';
import { FileTokenStore } from '../../src/client/file-token-store.js';
import { MemoryTokenStore, registrationKey, sessionKey, tokensKey } from '../../src/client/token-store.js';

const dirs: string[] = [];
afterEach(async () => {
  while (dirs.length > 0) await rm(dirs.pop() ?? '', { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cimd-store-'));
  dirs.push(dir);
  return dir;
}

const posix = process.platform !== 'win32';

describe('FileTokenStore', () => {
  it.runIf(posix)('MCP-C-23: creates the folder 0700 and the file 0600', async () => {
    const dir = join(await tempDir(), 'nested', 'mcp-cimd');
    const store = new FileTokenStore({ dir });
    await store.set('k', { secret: 'x' });
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
  });

  it.runIf(posix)('tightens a file that was left readable by others', async () => {
    const dir = await tempDir();
    const store = new FileTokenStore({ dir });
    await writeFile(store.path, JSON.stringify({ version: 1, entries: {} }), { mode: 0o644 });
    await store.set('k', 1);
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
  });

  it('round-trips values, deletes, and leaves no temporary files (atomic writes)', async () => {
    const dir = await tempDir();
    const store = new FileTokenStore({ dir });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`k${i}`, { i })));
    expect(await store.get('k7')).toEqual({ i: 7 });
    await store.delete('k7');
    expect(await store.get('k7')).toBeUndefined();
    expect(await store.get('k8')).toEqual({ i: 8 });
    expect(await readdir(dir)).toEqual(['credentials.json']);
    expect(await new FileTokenStore({ dir }).get('k19')).toEqual({ i: 19 });
  });

  it('MCP-C-21: tokens are keyed by issuer, resource and client id', async () => {
    const store = new FileTokenStore({ dir: await tempDir() });
    const key = {
      issuer: 'https://as.example.com/',
      resource: 'https://mcp.example.com/mcp',
      clientId: 'https://app.example.com/c.json',
    };
    await store.set(tokensKey(key), { access_token: 't' });
    expect(await store.get(tokensKey(key))).toEqual({ access_token: 't' });
    expect(await store.get(tokensKey({ ...key, resource: 'https://other.example.com/mcp' }))).toBeUndefined();
    expect(await store.get(tokensKey({ ...key, issuer: 'https://evil.example.com/' }))).toBeUndefined();
    expect(await store.get(tokensKey({ ...key, clientId: 'dcr-1' }))).toBeUndefined();
    const file = JSON.parse(await readFile(store.path, 'utf8')) as { entries: Record<string, unknown> };
    expect(Object.keys(file.entries)).toEqual([
      'tokens:["https://as.example.com/","https://mcp.example.com/mcp","https://app.example.com/c.json"]',
    ]);
  });

  it('keys cannot collide through separators in their parts', () => {
    expect(tokensKey({ issuer: 'a","b', resource: 'c', clientId: 'd' })).not.toBe(
      tokensKey({ issuer: 'a', resource: 'b","c', clientId: 'd' }),
    );
    expect(registrationKey('x', 'y')).not.toBe(sessionKey('x', 'y'));
  });

  it('says what to do with a corrupt file instead of overwriting it', async () => {
    const dir = await tempDir();
    const store = new FileTokenStore({ dir });
    await writeFile(store.path, '{not json');
    await expect(store.get('k')).rejects.toThrow(/not valid JSON; delete it/);
    await expect(store.set('k', 1)).rejects.toThrow(/not valid JSON/);
    expect(await readFile(store.path, 'utf8')).toBe('{not json');
  });
});

describe('MemoryTokenStore', () => {
  it('keeps copies, not the caller’s objects', () => {
    const store = new MemoryTokenStore();
    const value = { a: 1 };
    store.set('k', value);
    value.a = 2;
    expect(store.get('k')).toEqual({ a: 1 });
    store.delete('k');
    expect(store.get('k')).toBeUndefined();
  });
});

describe('defaultConfigDir', () => {
  it('follows XDG on Linux, with ~/.config as the default and relative values ignored', () => {
    expect(defaultConfigDir({ platform: 'linux', env: { XDG_CONFIG_HOME: '/xdg' }, home: '/home/u' })).toBe(
      '/xdg/mcp-cimd',
    );
    expect(defaultConfigDir({ platform: 'linux', env: {}, home: '/home/u' })).toBe(
      '/home/u/.config/mcp-cimd',
    );
    expect(defaultConfigDir({ platform: 'linux', env: { XDG_CONFIG_HOME: 'rel' }, home: '/home/u' })).toBe(
      '/home/u/.config/mcp-cimd',
    );
  });

  it('uses Application Support on macOS and %APPDATA% on Windows', () => {
    expect(defaultConfigDir({ platform: 'darwin', env: {}, home: '/Users/u' })).toBe(
      '/Users/u/Library/Application Support/mcp-cimd',
    );
    expect(
      defaultConfigDir({
        platform: 'win32',
        env: { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' },
        home: 'C:\\Users\\u',
      }),
    ).toBe('C:\\Users\\u\\AppData\\Roaming\\mcp-cimd');
  });
});
