/**
 * The audit stream of an in-process server: to a function sink and to a file sink (JSON lines,
 * mode 0600), with `type`, `time`, `version` and each event's fields, for tokens issued and
 * refused, replays of a code, a client assertion `jti` and a refresh token, clients first seen,
 * consents revoked; and never a token, code, verifier or assertion anywhere in the output.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIT_EVENT_TYPES,
  type AuditEvent,
  fileAuditSink,
  functionAuditSink,
} from '../../../src/server/index.js';
import {
  type CimdHost,
  codeParams,
  createKey,
  createTestServer,
  expectOAuthError,
  expectTokens,
  keyClient,
  publicClient,
  RESOURCE,
  startCimdHost,
  type TestKey,
  type TestServer,
} from '../token/harness.js';

let host: CimdHost;
let key: TestKey;
let t: TestServer;
let dir: string;

beforeAll(async () => {
  host = await startCimdHost();
  key = await createKey('audit-k1');
  dir = mkdtempSync(join(tmpdir(), 'cimd-audit-'));
});
afterAll(async () => {
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await t?.close();
});

/**
 * Runs, on `t`: a public client's code exchange, its refresh, the code replayed, the old refresh
 * token reused, a private_key_jwt client's code exchange and its assertion replayed, a refused
 * grant type. Returns every secret that went over the wire.
 */
async function runFlows(): Promise<string[]> {
  const secrets: string[] = [];
  const client = publicClient(host);
  const issued = await t.issueCode(client.clientId);
  secrets.push(issued.code, issued.verifier);
  const first = await expectTokens(await t.token(codeParams(client.clientId, issued)));
  secrets.push(first.access_token, first.refresh_token ?? '');
  const refreshed = await expectTokens(
    await t.token({
      grant_type: 'refresh_token',
      client_id: client.clientId,
      refresh_token: first.refresh_token ?? '',
    }),
  );
  secrets.push(refreshed.access_token, refreshed.refresh_token ?? '');
  await expectOAuthError(await t.token(codeParams(client.clientId, issued)), 'invalid_grant');
  await expectOAuthError(
    await t.token({
      grant_type: 'refresh_token',
      client_id: client.clientId,
      refresh_token: first.refresh_token ?? '',
    }),
    'invalid_grant',
  );

  const agent = keyClient(host, [key], 'jwks');
  const agentCode = await t.issueCode(agent.clientId);
  const { client_id: _id, ...params } = codeParams(agent.clientId, agentCode);
  const auth = await t.auth(agent.clientId, key);
  secrets.push(agentCode.code, agentCode.verifier, auth.client_assertion ?? '');
  const agentTokens = await expectTokens(await t.token({ ...params, ...auth }));
  secrets.push(agentTokens.access_token, agentTokens.refresh_token ?? '');
  await expectOAuthError(
    await t.token({ grant_type: 'refresh_token', refresh_token: agentTokens.refresh_token ?? '', ...auth }),
    'invalid_client',
  );
  await expectOAuthError(await t.token({ grant_type: 'password' }), 'unsupported_grant_type');
  return secrets.filter((secret) => secret !== '');
}

function ofType(events: AuditEvent[], type: string): AuditEvent[] {
  return events.filter((event) => event.type === type);
}

function checkEvents(events: AuditEvent[]): void {
  for (const event of events) {
    expect(AUDIT_EVENT_TYPES).toContain(event.type);
    expect(event.version).toBe(1);
    expect(new Date(event.time).toISOString()).toBe(event.time);
  }
  const issued = ofType(events, 'token.issued');
  expect(issued.map((event) => event.grant_type)).toEqual([
    'authorization_code',
    'refresh_token',
    'authorization_code',
  ]);
  expect(issued[0]).toMatchObject({
    sub: 'user-1',
    resource: [RESOURCE],
    scope: 'mcp:tools mcp:read',
    with_refresh_token: true,
  });
  expect(typeof issued[0]?.client_id).toBe('string');
  expect(ofType(events, 'replay.detected').map((event) => event.kind)).toEqual([
    'code',
    'refresh_token',
    'jti',
  ]);
  for (const replay of ofType(events, 'replay.detected')) expect(typeof replay.client_id).toBe('string');
  const refused = ofType(events, 'token.refused').map((event) => event.error);
  expect(refused).toEqual(['invalid_grant', 'invalid_grant', 'invalid_client', 'unsupported_grant_type']);
  expect(ofType(events, 'token.refused')[2]).toHaveProperty('client_id');
  const seen = ofType(events, 'client.first_seen');
  expect(seen).toHaveLength(2);
  expect(seen[0]).toMatchObject({ source: 'cimd', client_name: 'Public test client' });
  expect(typeof seen[0]?.fingerprint).toBe('string');
}

describe('audit events', () => {
  it('go to a function sink, with their fields and no secret', async () => {
    const events: AuditEvent[] = [];
    t = await createTestServer(host, { audit: functionAuditSink((event) => events.push(event)) });
    const secrets = await runFlows();
    await t.server.revokeConsent('user-1', 'https://app.example/client.json');
    checkEvents(events);
    expect(ofType(events, 'consent.revoked')).toEqual([
      expect.objectContaining({ client_id: 'https://app.example/client.json', sub: 'user-1' }),
    ]);
    const text = JSON.stringify(events);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('are appended to a file as JSON lines, mode 0600, with no secret', async () => {
    const path = join(dir, 'audit.jsonl');
    const sink = await fileAuditSink(path);
    t = await createTestServer(host, { audit: sink });
    const secrets = await runFlows();
    await sink.close?.();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const events = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEvent);
    checkEvents(events);
    for (const secret of secrets) expect(text).not.toContain(secret);

    const again = await fileAuditSink(path);
    again.write({ type: 'consent.revoked', time: new Date(0).toISOString(), version: 1 });
    await again.close?.();
    expect(readFileSync(path, 'utf8').startsWith(text)).toBe(true);
  });

  it('refuses a file in a folder that does not exist', async () => {
    await expect(fileAuditSink(join(dir, 'missing', 'audit.jsonl'))).rejects.toThrow(/ENOENT/);
  });
});
