import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltBin, runCimd } from '../helpers/run-cli.js';

const CLIENT_ID = 'https://app.example.com/oauth/client.json';
/** `cimd create` with the minimum flags for a valid document. */
const SIMPLE = ['create', '--name', 'C', '-r', 'https://app.example.com/cb', '--client-id', CLIENT_ID];

describe('cimd create (the built bin)', () => {
  let workDir: string;
  beforeAll(() => {
    requireBuiltBin();
    workDir = mkdtempSync(join(tmpdir(), 'cimd-create-'));
  });
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('prints pure JSON with the fields in the reference order and our defaults', async () => {
    const result = await runCimd([
      'create',
      '--name',
      'My MCP Client',
      '-r',
      'http://127.0.0.1/callback',
      '-r',
      'http://localhost/callback',
      '--client-id',
      CLIENT_ID,
    ]);
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(Object.keys(document).slice(0, 6)).toEqual([
      'client_id',
      'client_name',
      'redirect_uris',
      'token_endpoint_auth_method',
      'grant_types',
      'response_types',
    ]);
    expect(document).toEqual({
      client_id: CLIENT_ID,
      client_name: 'My MCP Client',
      redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    expect(result.stdout).toContain('\n  "client_name"');
    expect(result.stderr).not.toMatch(/placeholder/);
  });

  it('writes every optional field it is given', async () => {
    const jwksFile = join(workDir, 'jwks.json');
    writeFileSync(
      jwksFile,
      JSON.stringify({
        keys: [
          {
            kty: 'EC',
            crv: 'P-256',
            kid: 'k1',
            alg: 'ES256',
            use: 'sig',
            x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
            y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
          },
        ],
      }),
    );
    const result = await runCimd([
      'create',
      '--name',
      'Agent',
      '-r',
      'https://app.example.com/callback',
      '--client-id',
      CLIENT_ID,
      '--auth-method',
      'private_key_jwt',
      '--jwks',
      jwksFile,
      '--signing-alg',
      'ES256',
      '--scope',
      'mcp:read mcp:write',
      '--client-uri',
      'https://app.example.com',
      '--logo-uri',
      'https://app.example.com/logo.png',
      '--tos-uri',
      'https://app.example.com/tos',
      '--policy-uri',
      'https://app.example.com/privacy',
      '--contact',
      'ops@app.example.com',
      '--contact',
      'dev@app.example.com',
      '--application-type',
      'web',
      '--software-id',
      'agent',
      '--software-version',
      '1.2.3',
      '--grant-type',
      'authorization_code',
      '--grant-type',
      'refresh_token',
    ]);
    expect(result.stderr).not.toMatch(/error/);
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(document).toMatchObject({
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [{ kid: 'k1' }] },
      scope: 'mcp:read mcp:write',
      client_uri: 'https://app.example.com',
      logo_uri: 'https://app.example.com/logo.png',
      tos_uri: 'https://app.example.com/tos',
      policy_uri: 'https://app.example.com/privacy',
      contacts: ['ops@app.example.com', 'dev@app.example.com'],
      application_type: 'web',
      software_id: 'agent',
      software_version: '1.2.3',
    });
  });

  it('--no-pretty prints compact JSON', async () => {
    const result = await runCimd([...SIMPLE, '--no-pretty']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).not.toContain('\n');
    expect(JSON.parse(result.stdout).client_name).toBe('C');
  });

  it('without --client-id writes a placeholder and warns on stderr, keeping stdout pure JSON', async () => {
    const result = await runCimd([
      'create',
      '--name',
      'C',
      '-r',
      'http://127.0.0.1/callback',
      '-r',
      'http://localhost/callback',
    ]);
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(document.client_id).toMatch(/^https:\/\//);
    expect(result.stderr).toMatch(/placeholder/);
  });

  it('-o creates parent folders and ends the file with a newline', async () => {
    const output = join(workDir, 'deep', 'er', 'client.json');
    const result = await runCimd([...SIMPLE, '-o', output]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const text = readFileSync(output, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text).client_id).toBe(CLIENT_ID);
    expect(result.stderr).toContain('written to');
  });

  it('what create writes, validate --file accepts', async () => {
    const output = join(workDir, 'roundtrip.json');
    await runCimd([
      'create',
      '--name',
      'C',
      '-r',
      'http://127.0.0.1/callback',
      '-r',
      'http://localhost/callback',
      '--client-id',
      CLIENT_ID,
      '-o',
      output,
    ]);
    const result = await runCimd(['validate', '--file', output, '--url', CLIENT_ID]);
    expect(result.code).toBe(0);
  });

  it('CIMD-DOC-10: refuses a redirect URI that is neither https nor loopback http (exit 1, rule ID, nothing written)', async () => {
    const output = join(workDir, 'refused.json');
    const result = await runCimd([
      'create',
      '--name',
      'C',
      '-r',
      'http://192.168.1.5/cb',
      '--client-id',
      CLIENT_ID,
      '-o',
      output,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('CIMD-DOC-10');
    expect(result.stdout).toBe('');
    expect(() => readFileSync(output)).toThrow();
  });

  it('CIMD-DOC-12: refuses private_key_jwt without keys', async () => {
    const result = await runCimd([...SIMPLE, '--auth-method', 'private_key_jwt', '--signing-alg', 'ES256']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('CIMD-DOC-12');
  });

  it('CIMD-URL-04: refuses a client_id with a fragment', async () => {
    const result = await runCimd([
      'create',
      '--name',
      'C',
      '-r',
      'https://app.example.com/cb',
      '--client-id',
      `${CLIENT_ID}#`,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('CIMD-URL-04');
  });

  it('CIMD-URL-09: a loopback client_id is refused unless --allow-private-network is given, with a warning', async () => {
    const args = [
      'create',
      '--name',
      'Dev',
      '-r',
      'http://127.0.0.1/callback',
      '-r',
      'http://localhost/callback',
    ];
    const refused = await runCimd([...args, '--client-id', 'https://localhost:8443/client.json']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('CIMD-URL-09');
    const allowed = await runCimd([
      ...args,
      '--client-id',
      'https://localhost:8443/client.json',
      '--allow-private-network',
    ]);
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout).client_id).toBe('https://localhost:8443/client.json');
    expect(allowed.stderr).toMatch(/--allow-private-network is on/);
  });

  it('exit 2 for usage errors: a missing --name, an unknown auth method, an unreadable --jwks file', async () => {
    expect((await runCimd(['create', '-r', 'https://app.example.com/cb'])).code).toBe(2);
    expect(
      (
        await runCimd([
          'create',
          '--name',
          'C',
          '-r',
          'https://a.example.com/cb',
          '--auth-method',
          'client_secret_basic',
        ])
      ).code,
    ).toBe(2);
    const jwks = await runCimd([
      'create',
      '--name',
      'C',
      '-r',
      'https://a.example.com/cb',
      '--jwks',
      join(workDir, 'none.json'),
    ]);
    expect(jwks.code).toBe(2);
    expect(jwks.stderr).toContain('cannot read the JWKS file');
  });

  it('--help documents the flags and --version prints the version', async () => {
    const help = await runCimd(['create', '--help']);
    expect(help.code).toBe(0);
    for (const flag of [
      '--redirect-uri',
      '--client-id',
      '--auth-method',
      '--jwks-uri',
      '--grant-type',
      '--no-pretty',
    ]) {
      expect(help.stdout).toContain(flag);
    }
    const version = await runCimd(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });
});
