/**
 * `cimd admin` (the built bin) on a SQLite file that a running `cimd serve` filled through real
 * flows: a CIMD client (a document on loopback) and a registered client signed in on the
 * development login and their codes redeemed. Listings read what the server wrote; revocations
 * change what the server does next (a revoked grant's refresh token is refused, a revoked consent
 * is asked again, a purged document is fetched again by the next instance and by a running one).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltBin, runCimd } from '../helpers/run-cli.js';
import { type RegisteredClient, registerClient } from '../serve/oauth-client.js';
import { cleanEnv, killAll, type Served, serve } from '../serve/served.js';
import {
  asksConsent,
  type DocumentHost,
  refresh,
  type SignedIn,
  signIn,
  startDocumentHost,
} from './admin-flows.js';

const RESOURCE = 'http://127.0.0.1:4001/mcp';
const dir = mkdtempSync(join(tmpdir(), 'cimd-admin-test-'));
const database = join(dir, 'cimd.sqlite');

let host: DocumentHost;

/** `cimd admin <args> --database <the test file>`, with an environment free of `cimd serve` settings. */
function admin(args: string[], env: Record<string, string> = {}) {
  return runCimd(['admin', ...args], { env: cleanEnv(env), cwd: dir });
}

/** `cimd admin <args> --json` (exit 0), parsed. */
async function adminJson(args: string[]): Promise<Record<string, unknown>> {
  const result = await admin([...args, '--database', database, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

function startServer(): Promise<Served> {
  return serve(
    [
      '--port',
      '0',
      '--database',
      database,
      '--resource',
      RESOURCE,
      '--dangerously-allow-http-client-ids',
      '--allow-private-network',
      '--trusted',
      host.clientId,
    ],
    { cwd: dir },
  );
}

beforeAll(async () => {
  requireBuiltBin();
  host = await startDocumentHost('Admin test client');
});
afterAll(async () => {
  killAll();
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('cimd admin on a SQLite store filled by cimd serve', () => {
  let served: Served;
  let cimd: RegisteredClient;
  let registered: RegisteredClient;
  let first: SignedIn;
  let second: SignedIn;
  let other: SignedIn;

  beforeAll(async () => {
    served = await startServer();
    const issuer = served.listening.issuer;
    cimd = { issuer, clientId: host.clientId, redirectUri: host.redirectUri, resource: RESOURCE };
    registered = await registerClient(issuer, RESOURCE, host.redirectUri);
    first = await signIn(cimd);
    second = await signIn(cimd); // remembered consent of a trusted client: no page
    other = await signIn(registered);
    expect(second.sub).toBe(first.sub);
  }, 60_000);
  afterAll(async () => {
    if (served !== undefined) expect(await served.stop()).toBe(0);
  });

  it('clients list and show: the CIMD client seen with its document, the registered one with its registration', async () => {
    const clients = (await adminJson(['clients', 'list'])).clients as Record<string, unknown>[];
    const seen = clients.find((client) => client.clientId === cimd.clientId);
    expect(seen).toMatchObject({ clientName: 'Admin test client', documents: 1 });
    expect(Object.keys(seen ?? {}).sort()).toEqual(
      ['clientId', 'clientName', 'documents', 'fingerprint', 'firstSeen', 'lastSeen'].sort(),
    );
    const history = await adminJson(['clients', 'show', cimd.clientId]);
    expect(history).toMatchObject({ clientId: cimd.clientId, found: true, registration: null });
    const documents = history.documents as Record<string, unknown>[];
    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({
      fingerprint: seen?.fingerprint,
      clientName: 'Admin test client',
      changes: null,
    });
    // The consent the user gave names the same fingerprint.
    const consents = (await adminJson(['consents', 'list', '--client', cimd.clientId])).consents as Record<
      string,
      unknown
    >[];
    expect(consents.map((consent) => consent.clientFingerprint)).toContain(seen?.fingerprint);

    const table = await admin(['clients', 'list', '--database', database]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^CLIENT\s+NAME\s+DOCUMENTS/);
    expect(table.stdout).toContain(cimd.clientId);
  });

  it('clients show: a registered client and an unknown one', async () => {
    const shown = await adminJson(['clients', 'show', registered.clientId]);
    expect(shown).toMatchObject({
      clientId: registered.clientId,
      found: true,
      registration: { metadata: { client_name: 'Test MCP client', redirect_uris: [host.redirectUri] } },
    });
    const unknown = await admin(['clients', 'show', 'no-such-client', '--database', database]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No client no-such-client');
  });

  it("grants list and revoke: a revoked grant's refresh token is refused afterwards", {
    timeout: 90_000,
  }, async () => {
    const sub = first.sub;
    const grants = (await adminJson(['grants', 'list'])).grants as Record<string, unknown>[];
    expect(grants).toHaveLength(3);
    for (const grant of grants) {
      expect(Object.keys(grant).sort()).toEqual(
        [
          'authMethod',
          'clientId',
          'createdAt',
          'expiresAt',
          'familyId',
          'grantId',
          'resources',
          'scope',
          'userId',
        ].sort(),
      );
      expect(grant.userId).toBe(sub);
      expect(grant.resources).toEqual([RESOURCE]);
      expect(Date.parse(String(grant.expiresAt))).toBeGreaterThan(Date.parse(String(grant.createdAt)));
    }
    const byClient = (await adminJson(['grants', 'list', '--client', cimd.clientId])).grants as Record<
      string,
      unknown
    >[];
    expect(byClient.map((grant) => grant.clientId)).toEqual([cimd.clientId, cimd.clientId]);
    const registeredGrant = grants.find((grant) => grant.clientId === registered.clientId);
    expect(registeredGrant).toBeDefined();

    // The human table names every grant.
    const table = await admin(['grants', 'list', '--database', database, '--user', sub]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^GRANT\s+CLIENT\s+USER/);
    for (const grant of grants) expect(table.stdout).toContain(String(grant.grantId));

    // Revoking every grant of a client needs --yes when there are several; nothing changes without it.
    const refused = await admin(['grants', 'revoke', '--client', cimd.clientId, '--database', database]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('would revoke 2 grants: add --yes');
    expect(((await adminJson(['grants', 'list'])).grants as unknown[]).length).toBe(3);

    // One grant by id: its refresh token is refused afterwards, the others still refresh.
    const revokedOne = await adminJson(['grants', 'revoke', String(registeredGrant?.grantId)]);
    expect(revokedOne).toEqual({ revoked: 1, grantIds: [registeredGrant?.grantId], unknown: [] });
    const afterRevoke = await refresh(registered, other.refreshToken);
    expect(afterRevoke.status).toBe(400);
    expect(afterRevoke.body.error).toBe('invalid_grant');
    const stillLive = await refresh(cimd, first.refreshToken);
    expect(stillLive.status, JSON.stringify(stillLive.body)).toBe(200);

    // Every grant of the CIMD client, with --yes: both families' tokens are refused.
    const revokedAll = await admin([
      'grants',
      'revoke',
      '--client',
      cimd.clientId,
      '--yes',
      '--database',
      database,
    ]);
    expect(revokedAll.code, revokedAll.stderr).toBe(0);
    expect(revokedAll.stdout.trim()).toBe('Revoked 2 grants.');
    expect((await refresh(cimd, String(stillLive.body.refresh_token))).body.error).toBe('invalid_grant');
    expect((await refresh(cimd, second.refreshToken)).body.error).toBe('invalid_grant');
    expect((await adminJson(['grants', 'list'])).grants).toEqual([]);
    const unknownGrant = await admin(['grants', 'revoke', 'no-such-grant', '--database', database]);
    expect(unknownGrant.code).toBe(1);
    expect(unknownGrant.stderr).toContain('No live grant no-such-grant');
  });

  it('consents list and revoke: the user is asked again', { timeout: 60_000 }, async () => {
    const sub = first.sub;
    const consents = (await adminJson(['consents', 'list', '--user', sub])).consents as Record<
      string,
      unknown
    >[];
    expect(consents.map((consent) => consent.clientId).sort()).toEqual(
      [cimd.clientId, registered.clientId].sort(),
    );
    for (const consent of consents) {
      expect(Object.keys(consent).sort()).toEqual(
        ['clientFingerprint', 'clientId', 'expiresAt', 'grantedAt', 'resources', 'scopes', 'userId'].sort(),
      );
    }
    expect(await asksConsent(cimd)).toBe(false);
    const several = await admin(['consents', 'revoke', '--user', sub, '--database', database]);
    expect(several.code).toBe(1);
    expect(several.stderr).toContain('would revoke 2 consents: add --yes');
    const revoked = await adminJson(['consents', 'revoke', '--client', cimd.clientId, '--user', sub]);
    expect(revoked).toEqual({
      revoked: 1,
      consents: [{ clientId: cimd.clientId, userId: sub }],
      grantsRevoked: 0,
    });
    expect(await asksConsent(cimd)).toBe(true);
    const left = (await adminJson(['consents', 'list'])).consents as Record<string, unknown>[];
    expect(left.map((entry) => entry.clientId)).toEqual([registered.clientId]);
  });
});

describe('cimd admin cache and store selection', () => {
  it('cache purge drops the shared copy of a document: the next instance fetches it again', {
    timeout: 90_000,
  }, async () => {
    const fetchOnce = async () => {
      const served = await startServer();
      const client = {
        issuer: served.listening.issuer,
        clientId: host.clientId,
        redirectUri: host.redirectUri,
        resource: RESOURCE,
      };
      await signIn(client);
      expect(await served.stop()).toBe(0);
    };
    await fetchOnce(); // the document is in the store's cache now (fresh for an hour)
    const fetched = host.fetches();
    await fetchOnce();
    expect(host.fetches()).toBe(fetched); // a new instance found the shared copy

    const purged = await adminJson(['cache', 'purge', host.clientId]);
    expect(purged).toEqual({ url: host.clientId, document: true, jwks: [] });
    expect(await adminJson(['cache', 'purge', host.clientId])).toEqual({
      url: host.clientId,
      document: false,
      jwks: [],
    });
    await fetchOnce();
    expect(host.fetches()).toBe(fetched + 1);
  });

  it('cache purge reaches a running cimd serve: it drops its in-process copy and fetches the document again', {
    timeout: 90_000,
  }, async () => {
    const served = await startServer();
    /** GET /authorize for the host's client (the server resolves the client first, whatever it answers). */
    const authorize = async () => {
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: host.clientId,
        redirect_uri: host.redirectUri,
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        state: 'st',
        resource: RESOURCE,
      });
      const response = await fetch(`${served.listening.issuer}/authorize?${query}`, { redirect: 'manual' });
      await response.body?.cancel();
    };
    try {
      await authorize();
      const fetched = host.fetches();
      await authorize();
      expect(host.fetches()).toBe(fetched); // the running server serves its fresh in-process copy

      const purge = await admin(['cache', 'purge', host.clientId, '--database', database]);
      expect(purge.code, purge.stderr).toBe(0);
      expect(purge.stderr).toContain('Running instances drop their in-process copies');
      const deadline = Date.now() + 30_000; // the server reads the purge log every 5 s
      while (host.fetches() === fetched) {
        if (Date.now() > deadline)
          throw new Error('the running server never fetched the purged document again');
        await new Promise((resolve) => setTimeout(resolve, 250));
        await authorize();
      }
      expect(host.fetches()).toBe(fetched + 1);
    } finally {
      expect(await served.stop()).toBe(0);
    }
  });

  it('clients show: each new document is a new fingerprint, chained to the one before', {
    timeout: 90_000,
  }, async () => {
    /** Purges the shared copy and signs in through a new instance, which fetches the document again. */
    const fetchWith = async (scope: string) => {
      host.update({ scope });
      const purge = await admin(['cache', 'purge', host.clientId, '--database', database]);
      expect([0, 2]).toContain(purge.code); // 2 before any instance made the database
      const served = await startServer();
      const issuer = served.listening.issuer;
      await signIn({ issuer, clientId: host.clientId, redirectUri: host.redirectUri, resource: RESOURCE });
      expect(await served.stop()).toBe(0);
    };
    await fetchWith('read');
    await fetchWith('read write');

    const documents = (await adminJson(['clients', 'show', host.clientId])).documents as Record<
      string,
      unknown
    >[];
    expect(documents.length).toBeGreaterThanOrEqual(2);
    const [previous, latest] = documents.slice(-2);
    expect(latest?.fingerprint).not.toBe(previous?.fingerprint);
    expect(latest).toMatchObject({
      clientName: 'Admin test client',
      changes: { previousFingerprint: previous?.fingerprint },
    });
    const listed = (await adminJson(['clients', 'list'])).clients as Record<string, unknown>[];
    expect(listed.find((entry) => entry.clientId === host.clientId)).toMatchObject({
      documents: documents.length,
      fingerprint: latest?.fingerprint,
    });
    const human = await admin(['clients', 'show', host.clientId, '--database', database]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`${documents.length} document fingerprints, oldest first:`);
    expect(human.stdout).toContain(`${latest?.fingerprint} "Admin test client"`);
  });

  it('chooses the store as cimd serve does: DATABASE_URL, --config, and refuses the memory store', {
    timeout: 60_000,
  }, async () => {
    const expected = await adminJson(['consents', 'list']);
    expect((expected.consents as unknown[]).length).toBeGreaterThan(0);
    const fromEnv = await admin(['consents', 'list', '--json'], { DATABASE_URL: database });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(JSON.parse(fromEnv.stdout)).toEqual(expected);
    // A config file written for cimd serve (resources, issuer and all) serves cimd admin as it is.
    const config = join(dir, 'cimd.json');
    writeFileSync(config, JSON.stringify({ database, resources: [RESOURCE], port: 4000, trustMode: 'open' }));
    const fromFile = await admin(['consents', 'list', '--json', '--config', config]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(JSON.parse(fromFile.stdout)).toEqual(expected);

    const memory = await admin(['grants', 'list', '--store', 'memory']);
    expect(memory.code).toBe(2);
    expect(memory.stderr).toContain('the memory store lives inside one server process');
    const bad = await admin(['grants', 'list', '--database', 'mysql://db.example/cimd']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('MySQL databases are not supported');
  });

  it('never prints a database password', async () => {
    const result = await admin([
      'grants',
      'list',
      '--database',
      'postgres://cimd:hunter2-secret@127.0.0.1:1/cimd',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('postgres://cimd:***@127.0.0.1:1/cimd');
    expect(`${result.stdout}${result.stderr}`).not.toContain('hunter2-secret');
  });
});
