/**
 * `cimd serve --allow-client-credentials <entry>` (repeatable), `CIMD_ALLOW_CLIENT_CREDENTIALS`
 * and the config file key `allowClientCredentials`: off by default, entries checked at startup,
 * and passed to the authorization server's `clientCredentials` policy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configLoader } from './load-config.js';

const RESOURCE = 'http://127.0.0.1:4001/mcp';
const dir = mkdtempSync(join(tmpdir(), 'cimd-config-cc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { load, problem, writeConfig } = configLoader(dir);

describe('cimd serve --allow-client-credentials', () => {
  it('is off by default', async () => {
    expect((await load(['--resource', RESOURCE])).allowClientCredentials).toBeUndefined();
  });

  it('is repeatable and takes exact client_ids and host patterns', async () => {
    const config = await load([
      '--resource',
      RESOURCE,
      '--allow-client-credentials',
      'https://agent.example.com/client.json',
      '--allow-client-credentials',
      '*.agents.example.com',
    ]);
    expect(config.allowClientCredentials).toEqual([
      'https://agent.example.com/client.json',
      '*.agents.example.com',
    ]);
  });

  it('CIMD_ALLOW_CLIENT_CREDENTIALS (comma-separated) and the config file set it; the flag wins', async () => {
    const env = { CIMD_ALLOW_CLIENT_CREDENTIALS: 'a.example.com,b.example.com' };
    expect((await load(['--resource', RESOURCE], env)).allowClientCredentials).toEqual([
      'a.example.com',
      'b.example.com',
    ]);
    const file = writeConfig('cc.json', { resources: [RESOURCE], allowClientCredentials: ['file.example'] });
    expect((await load(['--config', file])).allowClientCredentials).toEqual(['file.example']);
    expect((await load(['--config', file], env)).allowClientCredentials).toEqual([
      'a.example.com',
      'b.example.com',
    ]);
    expect(
      (await load(['--config', file, '--allow-client-credentials', 'flag.example'], env))
        .allowClientCredentials,
    ).toEqual(['flag.example']);
  });

  it('a malformed entry is a startup problem naming the option', async () => {
    const message = await problem(['--resource', RESOURCE, '--allow-client-credentials', 'exa mple.com/x']);
    expect(message).toMatch(/allow-client-credentials/);
  });
});

describe('cimd serve --client-credentials-resource', () => {
  const OTHER = 'http://127.0.0.1:4002/mcp';
  const AGENT = 'https://agent.example.com/client.json';

  it('is absent by default: every --resource', async () => {
    const config = await load(['--resource', RESOURCE, '--allow-client-credentials', AGENT]);
    expect(config.clientCredentialsResources).toBeUndefined();
  });

  it('is repeatable; CIMD_CLIENT_CREDENTIALS_RESOURCES and the config file key set it too', async () => {
    const base = ['--resource', RESOURCE, '--resource', OTHER, '--allow-client-credentials', AGENT];
    const config = await load([
      ...base,
      '--client-credentials-resource',
      OTHER,
      '--client-credentials-resource',
      RESOURCE,
    ]);
    expect(config.clientCredentialsResources).toEqual([OTHER, RESOURCE]);
    expect(
      (await load(base, { CIMD_CLIENT_CREDENTIALS_RESOURCES: OTHER })).clientCredentialsResources,
    ).toEqual([OTHER]);
    const file = writeConfig('cc-resources.json', {
      resources: [RESOURCE, OTHER],
      allowClientCredentials: [AGENT],
      clientCredentialsResources: [RESOURCE],
    });
    expect((await load(['--config', file])).clientCredentialsResources).toEqual([RESOURCE]);
  });

  it('a resource that is not one of --resource is a startup problem naming the option', async () => {
    const message = await problem([
      '--resource',
      RESOURCE,
      '--allow-client-credentials',
      AGENT,
      '--client-credentials-resource',
      OTHER,
    ]);
    expect(message).toMatch(/--client-credentials-resource.*127\.0\.0\.1:4002.*is not one of the resources/);
  });

  it('without --allow-client-credentials it is a startup problem (the grant is off)', async () => {
    const message = await problem(['--resource', RESOURCE, '--client-credentials-resource', RESOURCE]);
    expect(message).toMatch(/--client-credentials-resource.*--allow-client-credentials/);
  });
});
