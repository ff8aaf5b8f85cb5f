/**
 * `cimd serve` (the built bin) and agents registered at /register (issue 10): a client with
 * `grant_types` `client_credentials`, `private_key_jwt` and its key inline registers; once the
 * operator allows its `client_id` (`--allow-client-credentials`, on the same SQLite database) it
 * gets tokens with client credentials; `--client-credentials-resource` limits the resources
 * those tokens may name; a public client asking for the grant is refused at /register.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltBin, runCimd } from '../helpers/run-cli.js';
import {
  type Agent,
  askClientCredentials,
  databaseArgs,
  register,
  registerAgentIn,
  tokenBody,
} from '../serve/agent-client.js';
import { cleanEnv, freePort, killAll, type Served, serve } from '../serve/served.js';

const RESOURCE = 'http://127.0.0.1:4001/mcp';
const OTHER_RESOURCE = 'http://127.0.0.1:4002/mcp';
const dir = mkdtempSync(join(tmpdir(), 'cimd-serve-cc-'));

let agent: Agent;
let served: Served | undefined;

beforeAll(async () => {
  requireBuiltBin();
  agent = await registerAgentIn(dir, RESOURCE);
}, 60_000);
afterEach(async () => {
  await served?.stop().catch(() => {});
  served = undefined;
  killAll();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(args: string[]): Promise<Served> {
  served = await serve(['--port', String(await freePort()), ...databaseArgs(dir), ...args], { cwd: dir });
  return served;
}

describe('cimd serve: a registered agent and the client_credentials grant', () => {
  it('registered, not yet allowed: the grant is off (unsupported_grant_type)', async () => {
    const s = await start(['--resource', RESOURCE]);
    expect((await tokenBody(await askClientCredentials(s, agent), 400)).error).toBe('unsupported_grant_type');
  });

  it('--allow-client-credentials <its dcr_ client_id>: a Bearer token with sub = client_id, for the resource', async () => {
    const s = await start(['--resource', RESOURCE, '--allow-client-credentials', agent.clientId]);
    const body = await tokenBody(await askClientCredentials(s, agent, { resource: RESOURCE }), 200);
    expect(body.token_type).toBe('Bearer');
    expect(body.refresh_token).toBeUndefined();
    expect(decodeJwt(String(body.access_token))).toMatchObject({
      iss: s.listening.issuer,
      sub: agent.clientId,
      client_id: agent.clientId,
      aud: RESOURCE,
      scope: 'mcp:tools',
    });
    expect(s.lines.find((line) => line.event === 'token_issued')).toMatchObject({
      grantType: 'client_credentials',
      clientId: agent.clientId,
    });
  });

  it('/register refuses client_credentials for a public client: invalid_client_metadata', async () => {
    const s = await start(['--resource', RESOURCE]);
    const response = await register(s, {
      client_name: 'Public agent',
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'none',
    });
    const body = await tokenBody(response, 400);
    expect(body.error).toBe('invalid_client_metadata');
    expect(body.error_description).toMatch(/private_key_jwt/);
  });
});

describe('cimd serve --client-credentials-resource', () => {
  it('limits client_credentials tokens to the listed resources: another one, or the default one when unlisted, is unauthorized_client', async () => {
    const s = await start([
      '--resource',
      RESOURCE,
      '--resource',
      OTHER_RESOURCE,
      '--allow-client-credentials',
      agent.clientId,
      '--client-credentials-resource',
      OTHER_RESOURCE,
    ]);
    const allowed = await tokenBody(await askClientCredentials(s, agent, { resource: OTHER_RESOURCE }), 200);
    expect(decodeJwt(String(allowed.access_token)).aud).toBe(OTHER_RESOURCE);
    const other = await tokenBody(await askClientCredentials(s, agent, { resource: RESOURCE }), 400);
    expect(other).toMatchObject({ error: 'unauthorized_client' });
    expect(other.error_description).toMatch(/resource/);
    const implicit = await tokenBody(await askClientCredentials(s, agent), 400);
    expect(implicit.error).toBe('unauthorized_client');
  });

  it('from CIMD_CLIENT_CREDENTIALS_RESOURCES too', async () => {
    served = await serve(
      [
        '--port',
        String(await freePort()),
        ...databaseArgs(dir),
        '--resource',
        RESOURCE,
        '--resource',
        OTHER_RESOURCE,
        '--allow-client-credentials',
        agent.clientId,
      ],
      { cwd: dir, env: { CIMD_CLIENT_CREDENTIALS_RESOURCES: RESOURCE } },
    );
    await tokenBody(await askClientCredentials(served, agent, { resource: RESOURCE }), 200);
    await tokenBody(await askClientCredentials(served, agent, { resource: OTHER_RESOURCE }), 400);
  });

  it('a resource that is not one of --resource stops cimd serve at start (exit 2, naming the option)', async () => {
    const result = await runCimd(
      [
        'serve',
        '--port',
        String(await freePort()),
        '--store',
        'memory',
        '--resource',
        RESOURCE,
        '--allow-client-credentials',
        agent.clientId,
        '--client-credentials-resource',
        OTHER_RESOURCE,
      ],
      { cwd: dir, env: cleanEnv() },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--client-credentials-resource.*is not one of the resources/);
  });
});
