/**
 * `cimd admin` (the built bin) on PostgreSQL (CIMD_TEST_DATABASE_URL; a fresh database per run),
 * which a running `cimd serve --database postgres://…` filled through real sign-ins: grants and
 * consents listed and revoked (a revoked grant's refresh token is refused), and the signing keys
 * sealed in the store rotated under the store's lock, which the running server then publishes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltBin, runCimd } from '../helpers/run-cli.js';
import { registerClient } from '../serve/oauth-client.js';
import { cleanEnv, killAll, type Served, serve } from '../serve/served.js';
import { type DocumentHost, refresh, signIn, startDocumentHost } from './admin-flows.js';

const SERVER_URL = process.env.CIMD_TEST_DATABASE_URL;
const SKIP = SERVER_URL === undefined && process.env.CI !== 'true';
if (SKIP) {
  console.warn(
    '\n!!! test/cli/admin-postgres is SKIPPED: CIMD_TEST_DATABASE_URL is not set (scripts/test-services.sh starts a server). Under CI=true this is a failure. !!!\n',
  );
}

const RESOURCE = 'http://127.0.0.1:4001/mcp';
const ENCRYPTION_KEY = randomBytes(32).toString('base64url');
const dir = mkdtempSync(join(tmpdir(), 'cimd-admin-pg-test-'));
const databaseName = `cimd_admin_${randomBytes(6).toString('hex')}`;

let maintenance: pg.Pool;
let database: string;
let host: DocumentHost;
let served: Served;

function admin(args: string[], env: Record<string, string> = { CIMD_ENCRYPTION_KEY: ENCRYPTION_KEY }) {
  return runCimd(['admin', ...args, '--database', database], { env: cleanEnv(env), cwd: dir });
}

async function adminJson(args: string[]): Promise<Record<string, unknown>> {
  const result = await admin([...args, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

async function publishedKids(): Promise<string[]> {
  const response = await fetch(`${served.listening.url}/jwks`);
  return ((await response.json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
}

describe.skipIf(SKIP)('cimd admin on PostgreSQL', () => {
  beforeAll(async () => {
    requireBuiltBin();
    if (SERVER_URL === undefined)
      throw new Error('CIMD_TEST_DATABASE_URL is not set (required under CI=true)');
    maintenance = new pg.Pool({ connectionString: SERVER_URL, max: 1 });
    await maintenance.query(`create database ${databaseName}`);
    const url = new URL(SERVER_URL);
    url.pathname = `/${databaseName}`;
    database = url.href;
    host = await startDocumentHost('Admin PostgreSQL client');
    served = await serve(
      [
        '--port',
        '0',
        '--database',
        database,
        '--resource',
        RESOURCE,
        '--dangerously-allow-http-client-ids',
        '--allow-private-network',
      ],
      { cwd: dir, env: { CIMD_ENCRYPTION_KEY: ENCRYPTION_KEY } },
    );
  }, 60_000);
  afterAll(async () => {
    killAll();
    await host?.close();
    if (maintenance !== undefined) {
      await maintenance.query(`drop database if exists ${databaseName} with (force)`);
      await maintenance.end();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists and revokes grants and consents that real sign-ins left', { timeout: 90_000 }, async () => {
    const issuer = served.listening.issuer;
    const cimd = { issuer, clientId: host.clientId, redirectUri: host.redirectUri, resource: RESOURCE };
    const registered = await registerClient(issuer, RESOURCE, host.redirectUri);
    const viaDocument = await signIn(cimd);
    const viaRegistration = await signIn(registered);

    const grants = (await adminJson(['grants', 'list', '--user', viaDocument.sub])).grants as Record<
      string,
      unknown
    >[];
    expect(grants.map((grant) => grant.clientId).sort()).toEqual([cimd.clientId, registered.clientId].sort());
    const consents = (await adminJson(['consents', 'list'])).consents as Record<string, unknown>[];
    expect(consents.map((consent) => consent.clientId).sort()).toEqual(
      [cimd.clientId, registered.clientId].sort(),
    );
    const shown = await adminJson(['clients', 'show', registered.clientId]);
    expect(shown).toMatchObject({
      found: true,
      registration: { metadata: { client_name: 'Test MCP client' } },
    });

    const revoked = await adminJson(['grants', 'revoke', '--client', registered.clientId]);
    expect(revoked).toMatchObject({ revoked: 1, unknown: [] });
    expect((await refresh(registered, viaRegistration.refreshToken)).body.error).toBe('invalid_grant');
    expect((await refresh(cimd, viaDocument.refreshToken)).status).toBe(200);

    const consentRevoked = await adminJson([
      'consents',
      'revoke',
      '--client',
      cimd.clientId,
      '--user',
      viaDocument.sub,
      '--with-grants',
    ]);
    expect(consentRevoked).toEqual({
      revoked: 1,
      consents: [{ clientId: cimd.clientId, userId: viaDocument.sub }],
      grantsRevoked: 1,
    });
    expect((await adminJson(['grants', 'list'])).grants).toEqual([]);
  });

  it('keys rotate: the sealed keys rotate under the store lock and the running server publishes the new key', {
    timeout: 60_000,
  }, async () => {
    const before = await publishedKids();
    const listed = await adminJson(['keys', 'list']);
    expect(listed.storage).toEqual({ kind: 'store' });
    expect((listed.keys as { kid: string }[]).map((key) => key.kid)).toEqual(before);

    const rotated = await adminJson(['keys', 'rotate']);
    expect(rotated.previousKid).toBe(before[0]);
    expect(await publishedKids()).toEqual([rotated.currentKid, ...before]);

    const withoutKey = await admin(['keys', 'rotate'], {});
    expect(withoutKey.code).toBe(2);
    expect(withoutKey.stderr).toContain('needs --encryption-key-file <file> or CIMD_ENCRYPTION_KEY');
    const wrongKey = await admin(['keys', 'list'], {
      CIMD_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    });
    expect(wrongKey.code).toBe(2);
    expect(`${wrongKey.stdout}${wrongKey.stderr}`).not.toContain(ENCRYPTION_KEY);
    expect(await publishedKids()).toEqual([rotated.currentKid, ...before]);
  });
});
