/**
 * `cimd serve --no-cimd`, `--resource-policy <rule>` and `--allowed-redirect-uri <pattern>`
 * (flags, `CIMD_ACCEPT_CIMD` / `CIMD_RESOURCE_POLICY` / `CIMD_ALLOWED_REDIRECT_URIS`, and the
 * config file keys `cimd`, `resourcePolicy`, `allowedRedirectUris`): read, checked at startup,
 * and reported together.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseResourceRule } from '../../src/serve/config/client-policy.js';
import { configLoader } from './load-config.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const TOOLS = 'https://tools.example.com/mcp';
const dir = mkdtempSync(join(tmpdir(), 'cimd-config-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { load, problem, writeConfig } = configLoader(dir);
const BASE = ['--resource', RESOURCE, '--resource', TOOLS];

describe('the client policy options of cimd serve', () => {
  it("keep today's behaviour when not given: CIMD on, no rules, no redirect patterns", async () => {
    expect((await load(BASE)).clientPolicy).toEqual({ cimd: true, resources: [], allowedRedirectUris: [] });
  });

  it('read rules, patterns and --no-cimd from flags', async () => {
    const config = await load([
      ...BASE,
      '--no-cimd',
      '--resource-policy',
      `${RESOURCE} clients=trusted,*.example.com,https://app.example.com/client.json scopes=mcp:read grants=authorization_code,jwt-bearer`,
      '--resource-policy',
      `${TOOLS} clients=*`,
      '--allowed-redirect-uri',
      'http://127.0.0.1:*/callback',
      '--allowed-redirect-uri',
      'https://*.example.com/cb',
    ]);
    expect(config.clientPolicy).toEqual({
      cimd: false,
      resources: [
        {
          resource: RESOURCE,
          clients: ['trusted', '*.example.com', 'https://app.example.com/client.json'],
          scopes: ['mcp:read'],
          grants: ['authorization_code', 'jwt-bearer'],
        },
        { resource: TOOLS, clients: ['*'] },
      ],
      allowedRedirectUris: ['http://127.0.0.1:*/callback', 'https://*.example.com/cb'],
    });
  });

  it('read the environment (rules separated by ;) and the config file (objects); flags beat both', async () => {
    const env = {
      CIMD_ACCEPT_CIMD: 'off',
      CIMD_RESOURCE_POLICY: `${RESOURCE} clients=env.example; ${TOOLS} scopes=a,b`,
      CIMD_ALLOWED_REDIRECT_URIS: 'http://127.0.0.1:*/callback,https://env.example/cb',
    };
    const fromEnv = (await load(BASE, env)).clientPolicy;
    expect(fromEnv.cimd).toBe(false);
    expect(fromEnv.resources).toEqual([
      { resource: RESOURCE, clients: ['env.example'] },
      { resource: TOOLS, scopes: ['a', 'b'] },
    ]);
    expect(fromEnv.allowedRedirectUris).toEqual(['http://127.0.0.1:*/callback', 'https://env.example/cb']);

    const file = writeConfig('policy.json', {
      resources: [RESOURCE, TOOLS],
      cimd: true,
      resourcePolicy: [{ resource: RESOURCE, clients: ['file.example'], grants: ['authorization_code'] }],
      allowedRedirectUris: ['https://file.example/cb'],
    });
    const fromFile = (await load(['--config', file])).clientPolicy;
    expect(fromFile).toEqual({
      cimd: true,
      resources: [{ resource: RESOURCE, clients: ['file.example'], grants: ['authorization_code'] }],
      allowedRedirectUris: ['https://file.example/cb'],
    });
    expect((await load(['--config', file], env)).clientPolicy.resources[0]).toEqual({
      resource: RESOURCE,
      clients: ['env.example'],
    });
    const flagged = await load(
      ['--config', file, '--no-cimd', '--resource-policy', `${TOOLS} clients=flag.example`],
      env,
    );
    expect(flagged.clientPolicy.cimd).toBe(false);
    expect(flagged.clientPolicy.resources).toEqual([{ resource: TOOLS, clients: ['flag.example'] }]);
  });

  it('report every bad rule and pattern at once, naming the option', async () => {
    const message = await problem([
      ...BASE,
      '--resource-policy',
      'https://elsewhere.example/mcp clients=a.example',
      '--resource-policy',
      `${RESOURCE} grants=password`,
      '--resource-policy',
      `${TOOLS} colour=blue`,
      '--allowed-redirect-uri',
      '*.example.com/cb',
    ]);
    expect(message).toMatch(
      /--resource-policy: a rule: resource "https:\/\/elsewhere\.example\/mcp" is not one of the server's resources/,
    );
    expect(message).toMatch(/--resource-policy: a rule: grants names "password"/);
    expect(message).toMatch(/--resource-policy: "colour=blue" in the rule for/);
    expect(message).toMatch(/--allowed-redirect-uri: .*must be a redirect URI/);
  });

  it('refuse two rules for one resource, and unknown members in the config file', async () => {
    expect(
      await problem([
        ...BASE,
        '--resource-policy',
        `${RESOURCE} clients=a.example`,
        '--resource-policy',
        `${RESOURCE} scopes=x`,
      ]),
    ).toMatch(/two rules for https:\/\/mcp\.example\.com\/mcp/);
    const file = writeConfig('bad-policy.json', {
      resources: [RESOURCE],
      resourcePolicy: [{ resource: RESOURCE, client: ['typo.example'] }],
    });
    expect(await problem(['--config', file])).toMatch(
      /members resource, clients, scopes and grants; got "client"/,
    );
    expect(await problem([...BASE], { CIMD_ACCEPT_CIMD: 'perhaps' })).toMatch(
      /--no-cimd \(from CIMD_ACCEPT_CIMD\): expected true or false/,
    );
  });

  it('parse a rule as an operator writes it', () => {
    expect(parseResourceRule('  https://a.example/mcp   scopes=x,,y  ')).toEqual({
      resource: 'https://a.example/mcp',
      scopes: ['x', 'y'],
    });
    expect(parseResourceRule('https://a.example/mcp clients=')).toEqual({
      resource: 'https://a.example/mcp',
      clients: [],
    });
    expect(() => parseResourceRule('clients=a.example')).toThrow(/starts with the resource URI/);
    expect(() => parseResourceRule('https://a.example/mcp scopes=a scopes=b')).toThrow(/names scopes twice/);
  });
});
