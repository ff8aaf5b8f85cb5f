import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidationReport } from '../../src/validate/index.js';
import { type HttpsHost, json, startHttpsHost } from '../helpers/https-host.js';
import { requireBuiltBin, runCimd } from '../helpers/run-cli.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';

const publicKey = {
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
  kid: 'key-1',
  alg: 'ES256',
  use: 'sig',
};
const privateKey = { ...publicKey, d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI' };

describe('cimd validate (the built bin against a local HTTPS host with a test CA)', () => {
  let ca: TestCa;
  let host: HttpsHost;
  let env: Record<string, string>;
  let workDir: string;
  const url = (path: string) => `${host.origin}${path}`;
  const publicDocument = (path: string, extra: Record<string, unknown> = {}) => ({
    client_id: url(path),
    client_name: 'Test Client',
    redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...extra,
  });
  const validate = (args: string[]) => runCimd(['validate', ...args], { env });

  beforeAll(async () => {
    requireBuiltBin();
    ca = createTestCa();
    host = await startHttpsHost(ca);
    env = { NODE_EXTRA_CA_CERTS: ca.caCertPath };
    workDir = mkdtempSync(join(tmpdir(), 'cimd-validate-'));
    host.route('/valid.json', json(publicDocument('/valid.json')));
    host.route(
      '/secret.json',
      json(
        publicDocument('/secret.json', {
          token_endpoint_auth_method: 'client_secret_post',
          client_secret: 's3cr3t',
        }),
      ),
    );
    host.route('/mismatch.json', json(publicDocument('/other.json')));
    host.route(
      '/leaky-remote.json',
      json(
        publicDocument('/leaky-remote.json', {
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          jwks_uri: url('/leaky-jwks.json'),
        }),
      ),
    );
    host.route('/leaky-jwks.json', json({ keys: [privateKey] }));
    host.route(
      '/confidential.json',
      json(
        publicDocument('/confidential.json', {
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          jwks_uri: url('/jwks.json'),
        }),
      ),
    );
    host.route('/jwks.json', json({ keys: [publicKey] }));
    host.route(
      '/leaky-inline.json',
      json(
        publicDocument('/leaky-inline.json', {
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          jwks: { keys: [privateKey] },
        }),
      ),
    );
    host.route(
      '/missing-jwks.json',
      json(
        publicDocument('/missing-jwks.json', {
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          jwks_uri: url('/nowhere-jwks.json'),
        }),
      ),
    );
    host.route('/redirect.json', (_req, res) => {
      res.writeHead(302, { location: url('/valid.json') }).end();
    });
    host.route('/gone.json', json({ error: 'gone' }, 404));
    host.route('/scoped.json', json(publicDocument('/scoped.json', { scope: 'read' })));
    host.route('/html.json', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
    });
    host.route('/big.json', json(publicDocument('/big.json', { padding: 'x'.repeat(6000) })));
    host.route('/slow.json', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 100);
      res.on('close', () => clearInterval(timer));
    });
  });

  afterAll(async () => {
    await host?.close();
    ca?.dispose();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('exit 0 for a valid document, with ✓ per check and the document details', async () => {
    const result = await validate([url('/valid.json'), '--allow-private-network']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('✓ the URL is a valid CIMD client_id');
    expect(result.stdout).toContain('✓ client_id equals the URL byte for byte');
    expect(result.stdout).toContain(`client_id: ${url('/valid.json')}`);
    expect(result.stdout).toContain('client_name: Test Client');
    expect(result.stdout).toContain('• http://127.0.0.1/callback');
    expect(result.stdout).toContain('✓ Valid client metadata document');
    expect(result.stderr).toMatch(/--allow-private-network is on/);
  });

  it('CIMD-LINT-16: a document without scope is valid, and told the client may ask for any scope; one with scope is not', async () => {
    const bare = await validate([url('/valid.json'), '--allow-private-network']);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toContain('CIMD-LINT-16');
    expect(bare.stdout).toContain('no scope: the client may ask for any scope the server offers');
    const scoped = await validate([url('/scoped.json'), '--allow-private-network']);
    expect(scoped.code).toBe(0);
    expect(scoped.stdout).not.toContain('CIMD-LINT-16');
  });

  it('CIMD-DOC-05 / CIMD-DOC-06: exit 1 for a shared-secret document, each problem with its rule ID', async () => {
    const result = await validate([url('/secret.json'), '--allow-private-network']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('CIMD-DOC-05');
    expect(result.stdout).toContain('CIMD-DOC-06');
    expect(result.stdout).toContain('✗ Invalid client metadata document');
  });

  it('CIMD-DOC-03: exit 1 when the client_id does not equal the URL', async () => {
    const result = await validate([url('/mismatch.json'), '--allow-private-network']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✗ client_id equals the URL byte for byte');
    expect(result.stdout).toContain('CIMD-DOC-03');
  });

  it('CIMD-KEY-03: exit 1 when the JWKS served at jwks_uri holds a private key', async () => {
    const result = await validate([url('/leaky-remote.json'), '--allow-private-network']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('CIMD-KEY-03');
    expect(result.stdout).toContain('✗ the keys are public, identified and usable');
    expect(host.hits.get('/leaky-jwks.json')).toBeGreaterThanOrEqual(1);
  });

  it('CIMD-KEY-03: exit 1 when the inline jwks holds a private key', async () => {
    const result = await validate([url('/leaky-inline.json'), '--allow-private-network']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('CIMD-KEY-03');
  });

  it('exit 0 for a private_key_jwt document whose jwks_uri serves usable public keys', async () => {
    const result = await validate([url('/confidential.json'), '--allow-private-network']);
    expect(result.stdout).toContain('✓ the keys are public, identified and usable');
    expect(result.code).toBe(0);
  });

  it('CIMD-KEY-11: exit 1 when jwks_uri cannot be fetched', async () => {
    const result = await validate([url('/missing-jwks.json'), '--allow-private-network']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('CIMD-KEY-11');
    expect(result.stdout).toMatch(/404/);
  });

  it('--json prints a machine-readable report with id, severity, message and path per finding', async () => {
    const result = await validate([url('/secret.json'), '--allow-private-network', '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as ValidationReport;
    expect(report.checked).toBe(true);
    expect(report.valid).toBe(false);
    expect(report.url).toBe(url('/secret.json'));
    const finding = report.findings.find((f) => f.id === 'CIMD-DOC-06');
    expect(finding).toMatchObject({ severity: 'error', path: expect.stringMatching(/^\$/) });
    expect(finding?.message.length).toBeGreaterThan(10);
    expect(report.checks.map((check) => check.id)).toContain('fetch');
  });

  it('--json on a valid document says valid and carries the document', async () => {
    const result = await validate([url('/valid.json'), '--allow-private-network', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as ValidationReport;
    expect(report.valid).toBe(true);
    expect(report.document?.client_name).toBe('Test Client');
    expect(report.byteLength).toBeGreaterThan(0);
  });

  it('CIMD-AS-03: exit 2 on a redirect, naming the Location, and the target is never fetched', async () => {
    const before = host.hits.get('/valid.json') ?? 0;
    const result = await validate([url('/redirect.json'), '--allow-private-network']);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('ERR_FETCH_REDIRECT');
    expect(result.stdout).toContain(url('/valid.json'));
    expect(host.hits.get('/valid.json') ?? 0).toBe(before);
  });

  it('CIMD-AS-02: exit 2 on a non-200 status', async () => {
    const result = await validate([url('/gone.json'), '--allow-private-network']);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('ERR_FETCH_STATUS');
  });

  it('CIMD-DOC-04: exit 1 for a document served as text/html', async () => {
    const result = await validate([url('/html.json'), '--allow-private-network']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('CIMD-DOC-04');
  });

  it('CIMD-DOC-07: exit 1 for a document over 5120 bytes', async () => {
    const result = await validate([url('/big.json'), '--allow-private-network']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('CIMD-DOC-07');
  });

  it('--timeout: exit 2 when the body trickles past the deadline', async () => {
    const result = await validate([url('/slow.json'), '--allow-private-network', '--timeout', '0.5']);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('ERR_FETCH_TIMEOUT');
  });

  it('-t is --timeout, and the default deadline is 10 seconds', async () => {
    const result = await validate([url('/slow.json'), '--allow-private-network', '-t', '0.5']);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('ERR_FETCH_TIMEOUT');
    expect(result.stdout).toContain('500 ms');
    const help = await validate(['--help']);
    expect(help.stdout).toMatch(/-t, --timeout <seconds>[\s\S]*\(default: 10\)/);
  });

  it('names the hosting mistake under the failure: an HTML page, a redirect, text/plain', async () => {
    host.route('/plain.json', (_req, res) => {
      res
        .writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
        .end(JSON.stringify(publicDocument('/plain.json')));
    });
    const html = await validate([url('/html.json'), '--allow-private-network']);
    expect(html.code).toBe(1);
    expect(html.stdout).toMatch(/Hint: .*HTML page.*\[html-body\]/);
    const redirect = await validate([url('/redirect.json'), '--allow-private-network']);
    expect(redirect.code).toBe(2);
    expect(redirect.stdout).toMatch(/Hint: the host redirects to .*valid\.json.*\[redirect\]/);
    const plain = await validate([url('/plain.json'), '--allow-private-network', '--json']);
    expect(plain.code).toBe(1);
    expect((JSON.parse(plain.stdout) as ValidationReport).hint?.id).toBe('content-type');
  });

  it('CIMD-URL-09: without --allow-private-network a loopback URL is refused and never fetched', async () => {
    const before = host.hits.get('/valid.json') ?? 0;
    const result = await validate([`${host.ipOrigin}/valid.json`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('CIMD-URL-09');
    expect(host.hits.get('/valid.json') ?? 0).toBe(before);
  });

  it('CIMD-URL-01: exit 1 for an http URL, without any fetch', async () => {
    const result = await validate(['http://app.example.com/client.json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('CIMD-URL-01');
  });

  it('--redirect-uri: exit 0 when a loopback URI on another port would be accepted (RURI-04)', async () => {
    const result = await validate([
      url('/valid.json'),
      '--allow-private-network',
      '--redirect-uri',
      'http://127.0.0.1:49152/callback',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('redirect URI http://127.0.0.1:49152/callback is accepted');
  });

  it('--redirect-uri: exit 1 when the URI would be refused (RURI-02)', async () => {
    const result = await validate([
      url('/valid.json'),
      '--allow-private-network',
      '--redirect-uri',
      'http://127.0.0.1:49152/callback2',
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('would be refused');
  });

  it('--file with --url validates a file before publishing', async () => {
    const file = join(workDir, 'client.json');
    const target = 'https://app.example.com/oauth/client.json';
    writeFileSync(file, JSON.stringify({ ...publicDocument('/x'), client_id: target }));
    const ok = await validate(['--file', file, '--url', target]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('✓ client_id equals the URL byte for byte');
    const mismatch = await validate(['--file', file, '--url', `${target}/`]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stdout).toContain('CIMD-DOC-03');
  });

  it('--file: exit 1 for a file that is not JSON (CIMD-DOC-02)', async () => {
    const file = join(workDir, 'broken.json');
    writeFileSync(file, '{"client_id": ');
    const result = await validate(['--file', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('CIMD-DOC-02');
  });

  it('exit 2 for usage errors', async () => {
    expect((await validate([])).code).toBe(2);
    expect((await validate([url('/valid.json'), '--file', 'x.json'])).code).toBe(2);
    expect((await validate(['--url', url('/valid.json')])).code).toBe(2);
    const badTimeout = await validate([url('/valid.json'), '--timeout', 'soon']);
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.stderr).toMatch(/seconds/);
    expect((await validate(['--file', join(workDir, 'absent.json')])).code).toBe(2);
  });
});
