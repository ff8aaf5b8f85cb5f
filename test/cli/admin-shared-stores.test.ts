/**
 * `cimd admin` (the built bin) on the shared stores, PostgreSQL (CIMD_TEST_DATABASE_URL, a fresh
 * database per run) and Redis (CIMD_TEST_REDIS_URL, an empty logical database of its own), which
 * a running `cimd serve --database postgres://…|redis://…` filled through real sign-ins: grants
 * and consents listed and revoked (a revoked grant's refresh token is refused), and the signing
 * keys sealed in the store rotated under the store's lock, which the running server then publishes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltBin, runCimd } from '../helpers/run-cli.js';
import { registerClient } from '../serve/oauth-client.js';
import { cleanEnv, killAll, type Served, serve } from '../serve/served.js';
import { type DocumentHost, refresh, signIn, startDocumentHost } from './admin-flows.js';

/** A shared store for one run: its URL for `--database`, and how to remove it afterwards. */
interface SharedStore {
  url: string;
  remove(): Promise<void>;
}

/** A fresh PostgreSQL database on the test server. */
async function freshPostgres(serverUrl: string): Promise<SharedStore> {
  const name = `cimd_admin_${randomBytes(6).toString('hex')}`;
  const maintenance = new pg.Pool({ connectionString: serverUrl, max: 1 });
  await maintenance.query(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async remove() {
      await maintenance.query(`drop database if exists ${name} with (force)`);
      await maintenance.end();
    },
  };
}

/** An empty logical database of the test Redis (the store's default key prefix lives there alone). */
async function freshRedis(serverUrl: string): Promise<SharedStore> {
  for (let attempt = 0; attempt < 30; attempt += 1) {
    const index = 1 + Math.floor(Math.random() * 15);
    const url = new URL(serverUrl);
    url.pathname = `/${index}`;
    const client = new Redis(url.href, { lazyConnect: true });
    await client.connect();
    // Claim the database with a marker only an empty one takes (other runs pick theirs the same way).
    const claimed =
      (await client.dbsize()) === 0 && (await client.set('cimd-admin-test', '1', 'NX')) === 'OK';
    if (claimed && (await client.dbsize()) === 1) {
      return {
        url: url.href,
        async remove() {
          await client.flushdb();
          await client.quit();
        },
      };
    }
    await client.quit();
  }
  throw new Error('no empty logical database on the test Redis');
}

const BACKENDS = [
  { name: 'PostgreSQL', variable: 'CIMD_TEST_DATABASE_URL', open: freshPostgres },
  { name: 'Redis', variable: 'CIMD_TEST_REDIS_URL', open: freshRedis },
] as const;

const RESOURCE = 'http://127.0.0.1:4001/mcp';
const ENCRYPTION_KEY = randomBytes(32).toString('base64url');
const dir = mkdtempSync(join(tmpdir(), 'cimd-admin-shared-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const backend of BACKENDS) {
  const serverUrl = process.env[backend.variable];
  const skip = serverUrl === undefined && process.env.CI !== 'true';
  if (skip) {
    console.warn(
      `\n!!! cimd admin on ${backend.name} is SKIPPED: ${backend.variable} is not set (scripts/test-services.sh starts a server). Under CI=true this is a failure. !!!\n`,
    );
  }
  describe.skipIf(skip)(`cimd admin on ${backend.name}`, () => {
    let shared: SharedStore | undefined;
    let database: string;
    let host: DocumentHost | undefined;
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

    beforeAll(async () => {
      requireBuiltBin();
      if (serverUrl === undefined) throw new Error(`${backend.variable} is not set (required under CI=true)`);
      shared = await backend.open(serverUrl);
      database = shared.url;
      host = await startDocumentHost(`Admin ${backend.name} client`);
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
      await shared?.remove();
    });

    it('lists and revokes grants and consents that real sign-ins left', { timeout: 90_000 }, async () => {
      const issuer = served.listening.issuer;
      if (host === undefined) throw new Error('no document host');
      const cimd = { issuer, clientId: host.clientId, redirectUri: host.redirectUri, resource: RESOURCE };
      const registered = await registerClient(issuer, RESOURCE, host.redirectUri);
      const viaDocument = await signIn(cimd);
      const viaRegistration = await signIn(registered);

      const grants = (await adminJson(['grants', 'list', '--user', viaDocument.sub])).grants as Record<
        string,
        unknown
      >[];
      expect(grants.map((grant) => grant.clientId).sort()).toEqual(
        [cimd.clientId, registered.clientId].sort(),
      );
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
}
