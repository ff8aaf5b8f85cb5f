/**
 * The store part of `cimd serve`'s configuration, as `cimd admin` loads it
 * (`loadStoreAccessConfig`): the same flags, environment and config file as `cimd serve`, only
 * the options that locate the store and its signing keys resolved and checked.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/serve/config/errors.js';
import { addServeOptions, configFileFlag, readFlagLayer } from '../../src/serve/config/flags.js';
import { loadStoreAccessConfig } from '../../src/serve/config/load.js';
import { STORE_ACCESS_KEYS } from '../../src/serve/config/store-access.js';

const dir = mkdtempSync(join(tmpdir(), 'cimd-store-access-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(flags: string[], env: Record<string, string> = {}) {
  const command = addServeOptions(new Command('admin').exitOverride(), STORE_ACCESS_KEYS);
  command.parse(flags, { from: 'user' });
  return loadStoreAccessConfig({
    flags: readFlagLayer(command),
    configFile: configFileFlag(command),
    env,
    cwd: dir,
  });
}

describe('loadStoreAccessConfig', () => {
  it('defaults to the SQLite file of cimd serve, with the signing keys beside it', async () => {
    const config = await load([]);
    expect(config).toEqual({
      store: { kind: 'sqlite', path: join(dir, 'cimd.sqlite') },
      signingKeys: { kind: 'file', path: join(dir, 'cimd.signing-keys.json') },
      encryptionKey: undefined,
      accessTokenTtlSeconds: 600,
    });
  });

  it('takes a shared store and its encryption key from the environment, ignoring options it does not need', async () => {
    const key = randomBytes(32).toString('base64url');
    const config = await load([], {
      DATABASE_URL: 'postgres://cimd:pw@db.internal/cimd',
      CIMD_ENCRYPTION_KEY: key,
      CIMD_PORT: 'not a port',
      CIMD_ISSUER: 'ftp://nowhere',
    });
    expect(config.store).toEqual({ kind: 'postgres', url: 'postgres://cimd:pw@db.internal/cimd' });
    expect(config.signingKeys).toEqual({ kind: 'store' });
    expect(config.encryptionKey?.source).toBe('CIMD_ENCRYPTION_KEY');
    expect(Buffer.from(config.encryptionKey?.key.reveal() ?? []).toString('base64url')).toBe(key);
  });

  it('reads a config file written for cimd serve; flags win over it', async () => {
    const file = join(dir, 'serve.json');
    writeFileSync(
      file,
      JSON.stringify({
        database: './data/auth.sqlite',
        signingKeys: './keys.json',
        resources: ['https://mcp.example.com/mcp'],
        upstream: 'github',
        accessTokenTtl: 900,
      }),
    );
    const config = await load(['--config', file, '--access-token-ttl', '1200']);
    expect(config.store).toEqual({ kind: 'sqlite', path: join(dir, 'data', 'auth.sqlite') });
    expect(config.signingKeys).toEqual({ kind: 'file', path: join(dir, 'keys.json') });
    expect(config.accessTokenTtlSeconds).toBe(1200);
  });

  it('reports problems with the options it reads, naming where they came from', async () => {
    const error = await load(['--access-token-ttl', '0'], {
      DATABASE_URL: 'mysql://db/cimd',
      CIMD_ENCRYPTION_KEY: 'not-a-key-7q',
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/--access-token-ttl: expected a whole number of seconds from 1/);
    // Schema problems are reported before the rest is resolved; the others show once those are fixed.
    const second = await load([], {
      DATABASE_URL: 'mysql://db/cimd',
      CIMD_ENCRYPTION_KEY: 'not-a-key-7q',
    }).catch((caught: unknown) => caught as ConfigError);
    const text = (second as ConfigError).problems.join('\n');
    expect(text).toContain('--database (from DATABASE_URL): MySQL databases are not supported');
    expect(text).toContain('CIMD_ENCRYPTION_KEY');
    expect(text).not.toContain('not-a-key-7q');
  });
});
