/**
 * `cimd serve`'s DPoP options (RFC 9449): `--dpop-required`, `--dpop-nonce` and
 * `--dpop-nonce-window`, with their environment variables and config-file keys: off by default,
 * checked at startup, and passed to the authorization server's `dpop` option.
 */
import { mkdtempSync, rmSync } from 'node:fs';
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
});
