/**
 * `cimd serve`'s DPoP options (RFC 9449): `--dpop-required`, `--dpop-nonce`,
 * `--dpop-nonce-window` and the nonce secret (`CIMD_DPOP_NONCE_SECRET` or
 * `--dpop-nonce-secret-file`), with their environment variables and config-file keys: off by
 * default, checked at startup, and passed to the authorization server's `dpop` option.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configLoader } from './load-config.js';

const RESOURCE = 'http://127.0.0.1:4001/mcp';
const dir = mkdtempSync(join(tmpdir(), 'cimd-config-dpop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { load, problem, writeConfig } = configLoader(dir);

describe('cimd serve DPoP options', () => {
  it('DPoP is accepted but neither required nor nonced by default (nonce window 300 s)', async () => {
    expect((await load(['--resource', RESOURCE])).dpop).toEqual({
      required: false,
      nonce: false,
      nonceWindowSeconds: 300,
    });
  });

  it('--dpop-required, --dpop-nonce and --dpop-nonce-window set it', async () => {
    const config = await load([
      '--resource',
      RESOURCE,
      '--dpop-required',
      '--dpop-nonce',
      '--dpop-nonce-window',
      '60',
    ]);
    expect(config.dpop).toEqual({ required: true, nonce: true, nonceWindowSeconds: 60 });
  });

  it('CIMD_DPOP_REQUIRED, CIMD_DPOP_NONCE, CIMD_DPOP_NONCE_WINDOW and the config file keys set it', async () => {
    const env = { CIMD_DPOP_REQUIRED: 'yes', CIMD_DPOP_NONCE: 'on', CIMD_DPOP_NONCE_WINDOW: '120' };
    expect((await load(['--resource', RESOURCE], env)).dpop).toEqual({
      required: true,
      nonce: true,
      nonceWindowSeconds: 120,
    });
    const file = writeConfig('dpop.json', {
      resources: [RESOURCE],
      dpopRequired: true,
      dpopNonce: true,
      dpopNonceWindow: 600,
    });
    expect((await load(['--config', file])).dpop).toEqual({
      required: true,
      nonce: true,
      nonceWindowSeconds: 600,
    });
    expect((await load(['--config', file], { CIMD_DPOP_REQUIRED: 'false' })).dpop.required).toBe(false);
  });

  it('a nonce window out of range, or without --dpop-nonce, is a startup problem naming the option', async () => {
    expect(await problem(['--resource', RESOURCE, '--dpop-nonce', '--dpop-nonce-window', '5'])).toMatch(
      /--dpop-nonce-window: expected a whole number of seconds from 10 to 3600; got "5"/,
    );
    expect(await problem(['--resource', RESOURCE, '--dpop-nonce-window', '60'])).toMatch(
      /--dpop-nonce-window.*add --dpop-nonce/,
    );
    expect(await problem(['--resource', RESOURCE], { CIMD_DPOP_REQUIRED: 'maybe' })).toMatch(
      /--dpop-required \(from CIMD_DPOP_REQUIRED\): expected true or false/,
    );
  });

  it('the nonce secret comes from CIMD_DPOP_NONCE_SECRET or a file, is never printed, and has at least 32 bytes', async () => {
    const secret = 'a-shared-secret-of-more-than-32-bytes-0123456789';
    const fromEnv = await load(['--resource', RESOURCE, '--dpop-nonce'], { CIMD_DPOP_NONCE_SECRET: secret });
    expect(fromEnv.dpop.nonceSecret?.secret.reveal()).toBe(secret);
    expect(fromEnv.dpop.nonceSecret?.source).toBe('CIMD_DPOP_NONCE_SECRET');
    expect(JSON.stringify(fromEnv)).not.toContain(secret);
    const file = join(dir, 'nonce.secret');
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
    const fromFile = await load(['--resource', RESOURCE, '--dpop-nonce', '--dpop-nonce-secret-file', file]);
    expect(fromFile.dpop.nonceSecret).toMatchObject({ source: file });
    expect(fromFile.dpop.nonceSecret?.secret.reveal()).toBe(secret);
    const short = await problem(['--resource', RESOURCE, '--dpop-nonce'], {
      CIMD_DPOP_NONCE_SECRET: 'short',
    });
    expect(short).toMatch(/CIMD_DPOP_NONCE_SECRET.*shorter than 32 bytes/);
    expect(short).not.toMatch(/"short"/);
  });

  it('the nonce secret without --dpop-nonce, or in the config file, is a startup problem', async () => {
    expect(
      await problem(['--resource', RESOURCE], {
        CIMD_DPOP_NONCE_SECRET: 'a-shared-secret-of-more-than-32-bytes-0123456789',
      }),
    ).toMatch(/CIMD_DPOP_NONCE_SECRET.*add --dpop-nonce/);
    const file = writeConfig('nonce-secret.json', {
      resources: [RESOURCE],
      dpopNonce: true,
      dpopNonceSecret: 'a-shared-secret-of-more-than-32-bytes-0123456789',
    });
    expect(await problem(['--config', file])).toMatch(
      /keep secrets out of the config file; use "dpopNonceSecretFile"/,
    );
  });
});
