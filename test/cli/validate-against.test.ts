/**
 * `cimd validate <url> --against <file>` (the built bin) against a local HTTPS host with a test
 * CA: the published document equals the committed one (member order ignored), or the command
 * exits 1 with a member-by-member diff, in text and JSON.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareDocuments } from '../../src/validate/index.js';
import { type HttpsHost, json, startHttpsHost } from '../helpers/https-host.js';
import { requireBuiltBin, runCimd } from '../helpers/run-cli.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';

describe('compareDocuments', () => {
  it('ignores member order, compares arrays whole and walks nested objects', () => {
    expect(compareDocuments({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toEqual([]);
    expect(
      compareDocuments(
        { a: 1, b: [1, 2], c: { d: 'x', e: true }, new: 'n' },
        { a: 2, b: [2, 1], c: { d: 'y', e: true }, gone: 'g' },
      ),
    ).toEqual([
      { path: '$.a', change: 'changed', published: 1, committed: 2 },
      { path: '$.b', change: 'changed', published: [1, 2], committed: [2, 1] },
      { path: '$.c.d', change: 'changed', published: 'x', committed: 'y' },
      { path: '$.gone', change: 'removed', committed: 'g' },
      { path: '$.new', change: 'added', published: 'n' },
    ]);
    expect(compareDocuments({ 'a-b': 1 }, {})).toEqual([{ path: '$["a-b"]', change: 'added', published: 1 }]);
  });
});

describe('cimd validate --against (the built bin)', () => {
  let ca: TestCa;
  let host: HttpsHost;
  let env: Record<string, string>;
  let dir: string;
  let url: string;
  let document: Record<string, unknown>;
  const validate = (args: string[]) =>
    runCimd(['validate', url, '--allow-private-network', ...args], { env });
  const commit = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
    return path;
  };

  beforeAll(async () => {
    requireBuiltBin();
    ca = createTestCa();
    host = await startHttpsHost(ca);
    env = { NODE_EXTRA_CA_CERTS: ca.caCertPath };
    dir = mkdtempSync(join(tmpdir(), 'cimd-validate-against-'));
    url = `${host.origin}/oauth/client.json`;
    document = {
      client_id: url,
      client_name: 'Committed Client',
      redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: 'mcp:tools',
    };
    host.route('/oauth/client.json', json(document));
  });
  afterAll(async () => {
    await host?.close();
    ca?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 when the published document equals the committed file, whatever the member order', async () => {
    const reordered = Object.fromEntries(Object.entries(document).reverse());
    const result = await validate(['--against', commit('same.json', reordered)]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('✓ The published document equals');
  });

  it('exits 1 with a member-by-member diff: added, removed and changed members, arrays shown whole', async () => {
    const { scope: _published, ...withoutScope } = document;
    const committed = {
      ...withoutScope,
      client_name: 'Old Name',
      redirect_uris: ['http://127.0.0.1/callback'],
      logo_uri: 'https://app.example.com/logo.png',
    };
    const path = commit('drifted.json', committed);
    const text = await validate(['--against', path]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`Differences from ${path}:`);
    expect(text.stdout).toContain('$.client_name: changed');
    expect(text.stdout).toContain('published: "Committed Client"');
    expect(text.stdout).toContain('committed: "Old Name"');
    expect(text.stdout).toContain('$.redirect_uris: changed');
    expect(text.stdout).toContain('published: ["http://127.0.0.1/callback","http://localhost/callback"]');
    expect(text.stdout).toContain('$.logo_uri: removed (only in the committed file)');
    expect(text.stdout).toContain('$.scope: added (only in the published document)');
    expect(text.stdout).toContain('✗ The published document differs from');
    expect(text.stdout).toContain('(4 members)');

    const asJson = await validate(['--against', path, '--json']);
    expect(asJson.code).toBe(1);
    const report = JSON.parse(asJson.stdout);
    expect(report.valid).toBe(true);
    expect(report.against).toEqual({
      file: path,
      equal: false,
      differences: [
        { path: '$.client_name', change: 'changed', published: 'Committed Client', committed: 'Old Name' },
        { path: '$.logo_uri', change: 'removed', committed: 'https://app.example.com/logo.png' },
        {
          path: '$.redirect_uris',
          change: 'changed',
          published: document.redirect_uris,
          committed: ['http://127.0.0.1/callback'],
        },
        { path: '$.scope', change: 'added', published: 'mcp:tools' },
      ],
    });
  });

  it('a missing or non-JSON committed file, or --against with --file, is a usage error (exit 2)', async () => {
    const missing = await validate(['--against', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--against: cannot read');
    const broken = await validate(['--against', commit('broken.json', '{ not json')]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('is not JSON');
    const withFile = await runCimd(
      ['validate', '--file', commit('f.json', document), '--against', commit('g.json', document)],
      { env },
    );
    expect(withFile.code).toBe(2);
    expect(withFile.stderr).toContain('--against compares the published document');
  });

  it('a document that cannot be fetched exits 2, not 1', async () => {
    const result = await runCimd(
      [
        'validate',
        `${host.origin}/oauth/missing.json`,
        '--allow-private-network',
        '--against',
        commit('c.json', document),
      ],
      { env },
    );
    expect(result.code).toBe(2);
  });
});
