/**
 * `cimd serve`, as the built bin: started as a subprocess, read until its `listening` log line,
 * asked real HTTP questions, then stopped with a signal (a clean exit 0 within a few seconds).
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltBin, runCimd } from '../helpers/run-cli.js';
import { cleanEnv, freePort, killAll, type Served, serve as serveBin } from '../serve/served.js';

const RESOURCE = 'http://127.0.0.1:4001/mcp';
const dir = mkdtempSync(join(tmpdir(), 'cimd-serve-test-'));

/** Starts `cimd serve <args>` in the test folder (unless `cwd` says otherwise). */
function serve(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; group?: boolean } = {},
): Promise<Served> {
  return serveBin(args, { ...options, cwd: options.cwd ?? dir });
}

async function metadataOf(served: Served): Promise<Record<string, unknown>> {
  const response = await fetch(`${served.listening.url}/.well-known/oauth-authorization-server`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

beforeAll(() => requireBuiltBin());
afterEach(() => killAll());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cimd serve (the built bin)', () => {
  it('serves metadata with the configured issuer (CIMD_ISSUER), and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const issuer = `http://localhost:${port}`;
    const served = await serve(['--port', String(port), '--store', 'memory', '--resource', RESOURCE], {
      env: { CIMD_ISSUER: issuer },
    });
    expect(served.listening).toMatchObject({
      level: 'info',
      issuer,
      url: `http://127.0.0.1:${port}`,
      resources: [RESOURCE],
      registration: true,
    });
    expect(served.listening.endpoints).toMatchObject({
      metadata: `${issuer}/.well-known/oauth-authorization-server`,
      token_endpoint: `${issuer}/token`,
      registration_endpoint: `${issuer}/register`,
      jwks_uri: `${issuer}/jwks`,
    });
    const metadata = await metadataOf(served);
    expect(metadata).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      registration_endpoint: `${issuer}/register`,
      client_id_metadata_document_supported: true,
    });
    const jwks = (await (await fetch(`${served.listening.url}/jwks`)).json()) as { keys: unknown[] };
    expect(jwks.keys).toHaveLength(1);

    const started = Date.now();
    expect(await served.stop('SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(served.lines.map((line) => line.msg)).toEqual(
      expect.arrayContaining(['shutting down', 'stopped']),
    );
  });

  it('derives the issuer from the bound port with --port 0, and stops on SIGINT too', async () => {
    const served = await serve(['--port', '0', '--store', 'memory', '--resource', RESOURCE]);
    expect(served.listening.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(served.listening.issuer).toBe(served.listening.url);
    expect((await metadataOf(served)).issuer).toBe(served.listening.issuer);
    expect(await served.stop('SIGINT')).toBe(0);
  });

  it('--no-registration drops the registration endpoint (CIMD-only)', async () => {
    const served = await serve([
      '--port',
      '0',
      '--store',
      'memory',
      '--resource',
      RESOURCE,
      '--no-registration',
    ]);
    expect(served.listening.registration).toBe(false);
    expect(served.listening.endpoints.registration_endpoint).toBeUndefined();
    expect(await metadataOf(served)).not.toHaveProperty('registration_endpoint');
    const register = await fetch(`${served.listening.url}/register`, { method: 'POST', body: '{}' });
    expect(register.status).toBe(404);
    expect(await served.stop()).toBe(0);
  });

  it('creates the SQLite file (and the signing-key file, mode 0600) by default', async () => {
    const cwd = mkdtempSync(join(dir, 'sqlite-'));
    const served = await serve(['--port', '0', '--resource', RESOURCE], { cwd });
    expect(existsSync(join(cwd, 'cimd.sqlite'))).toBe(true);
    expect(served.listening.store).toEqual({ kind: 'sqlite', path: join(cwd, 'cimd.sqlite') });
    const keys = join(cwd, 'cimd.signing-keys.json');
    expect(served.listening.signingKeys).toEqual({ kind: 'file', path: keys });
    expect(statSync(keys).mode & 0o777).toBe(0o600);
    const kid = ((await (await fetch(`${served.listening.url}/jwks`)).json()) as { keys: { kid: string }[] })
      .keys[0]?.kid;
    expect(await served.stop()).toBe(0);

    // The keys survive a restart: tokens signed before it still verify.
    const again = await serve(['--port', '0', '--resource', RESOURCE], { cwd });
    const after = (await (await fetch(`${again.listening.url}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(after.keys.map((key) => key.kid)).toContain(kid);
    expect(await again.stop()).toBe(0);
  });

  it('logs the --allow-private-network warning loudly (warn)', async () => {
    const served = await serve([
      '--port',
      '0',
      '--store',
      'memory',
      '--resource',
      RESOURCE,
      '--allow-private-network',
    ]);
    const warning = served.lines.find(
      (line) => line.level === 'warn' && line.option === 'allowPrivateNetwork',
    );
    expect(warning?.msg).toMatch(/DEVELOPMENT ONLY: allowPrivateNetwork \(--allow-private-network\) is on/);
    expect(await served.stop()).toBe(0);
  });

  it('logs the --dangerously-allow-http-client-ids warning, read from the environment', async () => {
    const served = await serve(['--port', '0', '--store', 'memory', '--resource', RESOURCE], {
      env: { CIMD_DANGEROUSLY_ALLOW_HTTP_CLIENT_IDS: 'true' },
    });
    const warning = served.lines.find((line) => line.option === 'dangerouslyAllowHttpClientIds');
    expect(warning).toMatchObject({ level: 'warn' });
    expect(await served.stop()).toBe(0);
  });
});

describe('cimd serve --demo', () => {
  it('runs the demo MCP server around the configured server, its URL the default resource', async () => {
    const served = await serve(['--demo', '--port', '0']);
    const [resource] = served.listening.resources as string[];
    expect(resource).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const response = await fetch(resource ?? '', { method: 'POST', body: '{}' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(
      /^Bearer resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"$/,
    );
    expect(served.lines.find((line) => line.option === 'allowPrivateNetwork')?.level).toBe('warn');
    await expect.poll(() => served.stderr(), { timeout: 10_000 }).toContain('mcp-cimd demo');
    expect(await served.stop('SIGTERM', 10_000)).toBe(0);
    expect(served.lines.map((line) => line.msg)).toEqual(
      expect.arrayContaining(['shutting down', 'stopped']),
    );
  }, 60_000);

  it('stops gracefully (exit 0) on a Ctrl-C that reaches the CLI and the demo it runs at once', async () => {
    const served = await serve(['--demo', '--port', '0', '--store', 'memory'], { group: true });
    await expect.poll(() => served.stderr(), { timeout: 10_000 }).toContain('Press Ctrl-C to stop.');
    expect(await served.stop('SIGINT', 10_000)).toBe(0);
    expect(served.lines.map((line) => line.msg)).toContain('stopped');
    expect(served.lines.some((line) => line.msg === 'second signal: stopping now')).toBe(false);
  }, 60_000);

  it('takes its options from the environment and a config file too (CIMD_DEMO, --config)', async () => {
    const config = join(dir, 'demo.json');
    writeFileSync(config, JSON.stringify({ store: 'memory', registration: false }));
    const served = await serve(['--port', '0', '--config', config], { env: { CIMD_DEMO: 'true' } });
    expect(served.listening).toMatchObject({ store: { kind: 'memory' }, registration: false });
    expect(await served.stop('SIGTERM', 10_000)).toBe(0);
  }, 60_000);
});

describe('cimd serve refuses to start (exit 2, with a message)', () => {
  it('with a non-loopback issuer without https', async () => {
    const result = await runCimd(['serve', '--issuer', 'http://auth.example.com', '--resource', RESOURCE], {
      env: cleanEnv(),
      cwd: dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--issuer: issuer must use https \(plain http only on a loopback host\)/);
    expect(result.stdout).toBe('');
  });

  it('with an https issuer off loopback: the development login is loopback-only', async () => {
    const result = await runCimd(['serve', '--resource', RESOURCE, '--trust-proxy'], {
      env: cleanEnv({ CIMD_ISSUER: 'https://auth.example.com' }),
      cwd: dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not on loopback.*development login.*loopback-only.*--upstream/);
  });

  it('with a PostgreSQL DATABASE_URL and no encryption key', async () => {
    const result = await runCimd(['serve', '--resource', RESOURCE], {
      env: cleanEnv({ DATABASE_URL: 'postgres://user:secret@db.example/cimd' }),
      cwd: dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/a shared store \(PostgreSQL or Redis\) needs --encryption-key-file/);
    expect(result.stderr).not.toContain('secret');
  });

  it('without a resource', async () => {
    const result = await runCimd(['serve'], { env: cleanEnv(), cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/at least one resource is required/);
  });

  it('when the port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = address !== null && typeof address === 'object' ? address.port : 0;
    try {
      const result = await runCimd(
        ['serve', '--port', String(port), '--store', 'memory', '--resource', RESOURCE],
        {
          env: cleanEnv(),
          cwd: dir,
        },
      );
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/the port is in use; choose another one with --port/);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('--help lists each option with its environment variables and default', async () => {
    const result = await runCimd(['serve', '--help'], { env: cleanEnv() });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--port <port>');
    expect(result.stdout).toContain('CIMD_PORT, PORT');
    expect(result.stdout).toContain('--no-registration');
    expect(result.stdout).toContain('DATABASE_URL');
    expect(result.stdout).toContain('--upstream <provider>');
    expect(result.stdout).toContain('--encryption-key-file <file>');
    expect(result.stdout).toMatch(
      /environment only \(never a flag\): CIMD_UPSTREAM_CLIENT_SECRET, CIMD_ENCRYPTION_KEY/,
    );
  });
});
