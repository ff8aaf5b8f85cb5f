/**
 * `cimd serve --trusted-assertion-issuer <issuer>=<jwks-uri>` (repeatable),
 * `CIMD_TRUSTED_ASSERTION_ISSUERS` and the config file key `trustedAssertionIssuers`: the
 * enterprise identity providers whose ID-JAGs the JWT bearer grant accepts (issue 10 point 6);
 * off by default, entries checked at startup.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configLoader } from './load-config.js';

const RESOURCE = 'http://127.0.0.1:4001/mcp';
const dir = mkdtempSync(join(tmpdir(), 'cimd-config-idjag-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { load, problem, writeConfig } = configLoader(dir);

describe('cimd serve --trusted-assertion-issuer', () => {
  it('is off by default', async () => {
    expect((await load(['--resource', RESOURCE])).trustedAssertionIssuers).toBeUndefined();
  });

  it('is repeatable: <issuer>=<jwks-uri>', async () => {
    const config = await load([
      '--resource',
      RESOURCE,
      '--trusted-assertion-issuer',
      'https://idp.example.com=https://idp.example.com/jwks',
      '--trusted-assertion-issuer',
      'https://login.example.org/tenant=http://127.0.0.1:9000/keys?x=1',
    ]);
    expect(config.trustedAssertionIssuers).toEqual([
      { issuer: 'https://idp.example.com', jwksUri: 'https://idp.example.com/jwks' },
      { issuer: 'https://login.example.org/tenant', jwksUri: 'http://127.0.0.1:9000/keys?x=1' },
    ]);
  });

  it('CIMD_TRUSTED_ASSERTION_ISSUERS and the config file set it', async () => {
    const env = { CIMD_TRUSTED_ASSERTION_ISSUERS: 'https://a.example=https://a.example/jwks' };
    expect((await load(['--resource', RESOURCE], env)).trustedAssertionIssuers).toEqual([
      { issuer: 'https://a.example', jwksUri: 'https://a.example/jwks' },
    ]);
    const file = writeConfig('idjag.json', {
      resources: [RESOURCE],
      trustedAssertionIssuers: ['https://f.example=https://f.example/jwks'],
    });
    expect((await load(['--config', file])).trustedAssertionIssuers).toEqual([
      { issuer: 'https://f.example', jwksUri: 'https://f.example/jwks' },
    ]);
  });

  it.each([
    ['without a JWKS URL', 'https://idp.example.com'],
    ['with a plain-http JWKS URL off loopback', 'https://idp.example.com=http://idp.example.com/jwks'],
    ['with a non-URL issuer', 'idp=https://idp.example.com/jwks'],
  ])('an entry %s is a startup problem naming the option', async (_name, entry) => {
    const message = await problem(['--resource', RESOURCE, '--trusted-assertion-issuer', entry]);
    expect(message).toMatch(/trusted-?[aA]ssertion-?[iI]ssuer/);
  });
});
