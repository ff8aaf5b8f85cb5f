/**
 * `cimd serve`'s operations options in its configuration: `--rate-limit` / `--no-rate-limit` /
 * `--rate-limit-per-client` (flags, environment, config file), `--fetch-proxy` and
 * `--registration-token-file`, each with its checks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { addServeOptions, givenFlagArguments } from '../../src/serve/config/flags.js';
import { configLoader } from './load-config.js';

const RESOURCE = 'http://127.0.0.1:4001/mcp';
const dir = mkdtempSync(join(tmpdir(), 'cimd-config-ops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { load, problem, writeConfig } = configLoader(dir);
const R = ['--resource', RESOURCE];

describe('rate limit options', () => {
  it('defaults to 600 per IP and ten times that per client_id', async () => {
    expect((await load(R)).rateLimit).toEqual({ perIpPerMinute: 600, perClientPerMinute: 6000 });
    expect((await load([...R, '--rate-limit', '100'])).rateLimit).toEqual({
      perIpPerMinute: 100,
      perClientPerMinute: 1000,
    });
    expect((await load([...R, '--rate-limit', '100', '--rate-limit-per-client', '50'])).rateLimit).toEqual({
      perIpPerMinute: 100,
      perClientPerMinute: 50,
    });
  });

  it('is turned off by --no-rate-limit, CIMD_RATE_LIMIT=off or 0, and "rateLimit": false', async () => {
    expect((await load([...R, '--no-rate-limit'])).rateLimit).toBe(false);
    expect((await load(R, { CIMD_RATE_LIMIT: 'off' })).rateLimit).toBe(false);
    expect((await load(R, { CIMD_RATE_LIMIT: '0' })).rateLimit).toBe(false);
    const file = writeConfig('off.json', { rateLimit: false });
    expect((await load([...R, '--config', file])).rateLimit).toBe(false);
    // A flag beats the environment.
    expect((await load([...R, '--rate-limit', '7'], { CIMD_RATE_LIMIT: 'off' })).rateLimit).toMatchObject({
      perIpPerMinute: 7,
    });
    expect((await load([...R, '--no-rate-limit'], { CIMD_RATE_LIMIT: '7' })).rateLimit).toBe(false);
  });

  it('writes --rate-limit and --no-rate-limit out again as given', () => {
    for (const flags of [['--no-rate-limit'], ['--rate-limit', '42']]) {
      const command = addServeOptions(new Command('serve').exitOverride());
      command.parse([...R, ...flags], { from: 'user' });
      expect(
        givenFlagArguments(command).filter((argument) => argument.includes('rate') || argument === '42'),
      ).toEqual(flags);
    }
  });

  it('says what is wrong with a bad value', async () => {
    expect(await problem([...R, '--rate-limit', 'many'])).toMatch(
      /--rate-limit.*whole number of requests per minute/,
    );
    expect(await problem([...R, '--rate-limit-per-client', '0'])).toMatch(/--rate-limit-per-client/);
    expect(await problem([...R, '--no-rate-limit', '--rate-limit-per-client', '5'])).toMatch(
      /rate limits are off/,
    );
  });
});

describe('--fetch-proxy', () => {
  it('takes an http(s) proxy origin from the flag or CIMD_FETCH_PROXY, and nothing from HTTPS_PROXY', async () => {
    expect((await load([...R, '--fetch-proxy', 'http://proxy.corp:3128'])).fetchProxy).toBe(
      'http://proxy.corp:3128/',
    );
    expect((await load(R, { CIMD_FETCH_PROXY: 'https://proxy.corp' })).fetchProxy).toBe(
      'https://proxy.corp/',
    );
    expect(
      (await load(R, { HTTPS_PROXY: 'http://proxy.corp:3128', HTTP_PROXY: 'http://p:1' })).fetchProxy,
    ).toBeUndefined();
  });

  it('refuses other schemes and URLs with a path', async () => {
    expect(await problem([...R, '--fetch-proxy', 'socks5://proxy:1080'])).toMatch(
      /--fetch-proxy.*http:\/\/ or https:\/\//,
    );
    expect(await problem([...R, '--fetch-proxy', 'http://proxy:3128/x'])).toMatch(
      /no path, query or fragment/,
    );
  });
});

describe('--registration-token-file', () => {
  it('reads one token a line, skipping blank lines and comments; the tokens never print', async () => {
    const file = join(dir, 'tokens');
    writeFileSync(file, '# ops team\n\n  token-one-0123456789abcdef  \ntoken-two-0123456789abcdef\n');
    const config = await load([...R, '--registration-token-file', file]);
    expect(config.registrationTokens?.path).toBe(file);
    expect(config.registrationTokens?.tokens.reveal()).toEqual([
      'token-one-0123456789abcdef',
      'token-two-0123456789abcdef',
    ]);
    expect(JSON.stringify(config)).not.toContain('token-one');
  });

  it('refuses an empty file, a weak token and --no-registration', async () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '# nothing\n');
    expect(await problem([...R, '--registration-token-file', empty])).toMatch(/has no token/);
    const weak = join(dir, 'weak');
    writeFileSync(weak, 'token-one-0123456789abcdef\nabc\n');
    const message = await problem([...R, '--registration-token-file', weak]);
    expect(message).toMatch(/initial access token 2 is shorter than 16 characters/);
    expect(message).not.toContain('abc\n');
    const strong = join(dir, 'strong');
    writeFileSync(strong, 'token-one-0123456789abcdef\n');
    expect(await problem([...R, '--no-registration', '--registration-token-file', strong])).toMatch(
      /registration is off/,
    );
  });
});
