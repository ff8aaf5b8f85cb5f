/**
 * `cimd serve --print-policy` from the built bin: the effective client policy, as text and as
 * JSON, from flags, the environment and the config file, exit 0 without listening; and a running
 * `cimd serve --no-cimd` that does not advertise CIMD and refuses a CIMD client_id.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltBin, runCimd } from '../helpers/run-cli.js';
import { cleanEnv, killAll, serve } from '../serve/served.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const ADMIN = 'https://admin.example.com/mcp';
const dir = mkdtempSync(join(tmpdir(), 'cimd-serve-policy-'));

beforeAll(() => requireBuiltBin());
afterEach(() => killAll());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function printPolicy(args: string[], env: Record<string, string> = {}) {
  return runCimd(['serve', '--store', 'memory', '--print-policy', ...args], { cwd: dir, env: cleanEnv(env) });
}

describe('cimd serve --print-policy', () => {
  it('prints the default policy for people and exits 0 without listening', async () => {
    const result = await printPolicy(['--resource', RESOURCE]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('CIMD: on, advertised (client_id_metadata_document_supported: true)');
    expect(result.stdout).toContain("Redirect URIs: each client's own list (no server-wide patterns)");
    expect(result.stdout).toContain(
      `  ${RESOURCE}\n    clients: every client the trust policy allows\n    scopes:  any\n    grants:  authorization_code, refresh_token\n`,
    );
    expect(result.stdout).not.toMatch(/listening/);
  });

  it('merges flags, the environment and the config file, as JSON with --json', async () => {
    const file = join(dir, 'policy.json');
    writeFileSync(
      file,
      JSON.stringify({
        resources: [RESOURCE, ADMIN],
        trusted: ['https://app.example.com/client.json'],
        resourcePolicy: [{ resource: ADMIN, clients: ['trusted'], scopes: ['admin:read'] }],
      }),
    );
    const result = await printPolicy(
      ['--config', file, '--json', '--allowed-redirect-uri', 'http://127.0.0.1:*/callback'],
      { CIMD_RESOURCE_POLICY: `${ADMIN} clients=trusted,*.example.com grants=authorization_code` },
    );
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(report).toEqual({
      cimd: { accepted: true, advertised: true },
      registration: true,
      trust: { mode: 'open', allow: [], deny: [], trusted: ['https://app.example.com/client.json'] },
      allowedRedirectUris: ['http://127.0.0.1:*/callback'],
      resources: [
        {
          resource: RESOURCE,
          clients: 'any',
          scopes: 'any',
          grants: ['authorization_code', 'refresh_token'],
        },
        {
          resource: ADMIN,
          clients: ['trusted', '*.example.com'],
          scopes: 'any',
          grants: ['authorization_code'],
        },
      ],
    });
  });

  it('says CIMD is off and not advertised with --no-cimd', async () => {
    const result = await printPolicy(['--resource', RESOURCE, '--no-cimd']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('CIMD: off (--no-cimd): URL client_ids are refused; not advertised');
  });

  it('exits 2 with every problem of a bad policy', async () => {
    const result = await printPolicy([
      '--resource',
      RESOURCE,
      '--resource-policy',
      `${ADMIN} clients=a.example`,
      '--allowed-redirect-uri',
      'no-scheme/cb',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--resource-policy: a rule: resource "https:\/\/admin\.example\.com\/mcp"/);
    expect(result.stderr).toMatch(/--allowed-redirect-uri:/);
  });
});

describe('cimd serve --no-cimd', () => {
  it('does not advertise CIMD and refuses a CIMD client_id with a clear error', async () => {
    const served = await serve(
      ['--port', '0', '--store', 'memory', '--resource', RESOURCE, '--no-cimd', '--no-registration'],
      { cwd: dir },
    );
    expect(served.lines.some((line) => line.level === 'warn' && /CIMD is off/.test(line.msg))).toBe(true);
    const metadata = (await (await fetch(served.listening.endpoints.metadata as string)).json()) as Record<
      string,
      unknown
    >;
    expect(metadata.client_id_metadata_document_supported).toBe(false);
    expect(served.listening.cimd).toBe(false);
    const authorize = new URL(served.listening.endpoints.authorization_endpoint as string);
    for (const [name, value] of Object.entries({
      response_type: 'code',
      client_id: 'https://app.example.com/client.json',
      redirect_uri: 'http://127.0.0.1:5000/callback',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    }))
      authorize.searchParams.set(name, value);
    const response = await fetch(authorize, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('CIMD is turned off');
    expect(await served.stop()).toBe(0);
  });
});
