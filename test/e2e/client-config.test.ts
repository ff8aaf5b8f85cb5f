/**
 * One identity per MCP server: a `cimd-clients.json` maps our MCP server (the shared e2e world:
 * our authorization server, a real SDK MCP server behind `requireBearer`) to one agent document
 * and key set, and another server to another. `connect()` with `clientOptionsFor` (in process)
 * and `cimd connect --config` (the built bin) get a token as the agent the entry names.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientOptionsFor, connect, loadClientConfig } from '../../src/client/index.js';
import { createClientMetadata } from '../../src/document/create.js';
import { createKeySet, generateClientKey, publicJwks, saveKeySet } from '../../src/keys/index.js';
import { E2E_SCOPE, type E2e, serveDocument, startE2e, whoami } from '../helpers/mcp-e2e.js';
import { requireBuiltBin, runCimd } from '../helpers/run-cli.js';
import { tempDir } from '../keys/fixtures.js';

const dir = tempDir('cimd-client-config-e2e-');
let e2e: E2e;
const agents: Record<'a' | 'b', string> = { a: '', b: '' };

async function publishAgent(name: 'a' | 'b'): Promise<string> {
  const clientId = `${e2e.documentOrigin}/${name}/client.json`;
  const jwksUri = `${e2e.documentOrigin}/${name}/jwks.json`;
  const keySet = createKeySet(await generateClientKey('ES256'), { jwksUri });
  await saveKeySet(join(dir.path, `keys-${name}.json`), keySet);
  const { document } = createClientMetadata({
    clientId,
    clientName: `Agent ${name}`,
    redirectUris: ['http://127.0.0.1/callback'],
    applicationType: 'native',
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwksUri,
    signingAlg: 'ES256',
    grantTypes: ['client_credentials'],
    scope: E2E_SCOPE,
    allowPrivateNetwork: true,
  });
  serveDocument(e2e, document as unknown as Record<string, unknown>, publicJwks(keySet) as never);
  return clientId;
}

/** Writes a configuration mapping our MCP server to `ours` and a server elsewhere to the other agent. */
function writeConfig(name: string, ours: 'a' | 'b'): string {
  const other = ours === 'a' ? 'b' : 'a';
  const path = join(dir.path, name);
  writeFileSync(
    path,
    JSON.stringify({
      servers: [
        { url: 'https://elsewhere.example.com/mcp', clientId: agents[other], keys: `./keys-${other}.json` },
        { url: e2e.resource, clientId: agents[ours], keys: `./keys-${ours}.json`, purpose: 'whoami checks' },
      ],
    }),
  );
  return path;
}

beforeAll(async () => {
  // The authorization server allows agents on the document host the client_credentials grant.
  e2e = await startE2e({
    mcpSdk: 1,
    authorizationServer: { clientCredentials: { allow: ['localhost'] } },
  });
  agents.a = await publishAgent('a');
  agents.b = await publishAgent('b');
}, 60_000);

afterAll(async () => {
  await e2e?.close();
  dir.remove();
});

describe('a client configuration: one identity per MCP server', () => {
  it('connect() with clientOptionsFor(config, server) gets its token as the agent of that entry', async () => {
    for (const ours of ['a', 'b'] as const) {
      const config = await loadClientConfig(writeConfig(`in-process-${ours}.json`, ours));
      const client = await connect(e2e.resource, {
        grant: 'client_credentials',
        ...(await clientOptionsFor(config, e2e.resource)),
      });
      try {
        expect(await whoami(client)).toEqual({ clientId: agents[ours], scopes: [E2E_SCOPE] });
      } finally {
        await client.close();
      }
    }
  });

  it('cimd connect --config picks the entry for the server (the built bin); no entry is exit 2', async () => {
    requireBuiltBin();
    const env = { NODE_EXTRA_CA_CERTS: e2e.ca.caCertPath };
    const path = writeConfig('cli.json', 'b');
    const result = await runCimd(
      ['connect', e2e.resource, '--config', path, '--client-credentials', '--call', 'whoami', '--json'],
      { env, timeoutMs: 60_000 },
    );
    expect(result.stderr).toContain(`Using ${agents.b} (whoami checks) from ${path} servers[1]`);
    expect(result.code).toBe(0);
    const text = JSON.parse(result.stdout).content[0].text;
    expect(JSON.parse(text)).toEqual({ clientId: agents.b, scopes: [E2E_SCOPE] });

    const unknown = await runCimd(
      ['connect', `${e2e.resource}/other`, '--config', path, '--client-credentials'],
      {
        env,
      },
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`${path} has no entry for ${e2e.resource}/other (matching is exact`);

    const both = await runCimd(
      ['connect', e2e.resource, '--config', path, '--client-metadata-url', agents.a],
      { env },
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('drop --client-metadata-url and --key');
    const neither = await runCimd(['connect', e2e.resource], { env });
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('--client-metadata-url <url> (and --key <file>), or --config');

    const broken = join(dir.path, 'broken.json');
    writeFileSync(broken, JSON.stringify({ servers: [{ url: e2e.resource, clientId: agents.a, key: 'x' }] }));
    const invalid = await runCimd(['connect', e2e.resource, '--config', broken], { env });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain(`${broken}: servers[0] (${e2e.resource}): unknown member "key"`);
  }, 120_000);
});
