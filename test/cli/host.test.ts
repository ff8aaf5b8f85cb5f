/**
 * `cimd host` as a subprocess of the built code: real HTTPS on loopback with the test CA, checked
 * with fetch, `cimd validate` and `cimd keys status`.
 */
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import pc from 'picocolors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostCommand } from '../../src/cli/commands/host.js';
import type { CliIo } from '../../src/cli/io.js';
import { runCimd } from '../helpers/run-cli.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';
import { freePort, tempDir } from '../keys/fixtures.js';
import { type HostProcess, runKeysHostCli, startHostProcess } from './keys-host-cli.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTPS request trusting the test CA (so fetch's global agent is left alone). */
function httpsGet(
  ca: TestCa,
  url: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, ca: ca.caCert },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('cimd host (the built command as a subprocess)', () => {
  const dir = tempDir('cimd-host-cli-');
  let ca: TestCa;
  let env: Record<string, string>;
  let tls: string[];
  const file = (name: string) => join(dir.path, name);
  const documentFor = (clientId: string, extra: Record<string, unknown> = {}) => ({
    client_id: clientId,
    client_name: 'Hosted Client',
    redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...extra,
  });
  const writeJson = (name: string, value: unknown) => {
    writeFileSync(file(name), JSON.stringify(value, null, 2));
    return file(name);
  };

  beforeAll(() => {
    ca = createTestCa();
    env = { NODE_EXTRA_CA_CERTS: ca.caCertPath };
    writeFileSync(file('cert.pem'), ca.cert);
    writeFileSync(file('key.pem'), ca.key);
    tls = ['--tls-cert', file('cert.pem'), '--tls-key', file('key.pem')];
  });
  afterAll(() => {
    ca?.dispose();
    dir.remove();
  });

  describe('serving', () => {
    let host: HostProcess;
    let url: string;
    let jwksUrl: string;

    beforeAll(async () => {
      const port = await freePort();
      url = `https://localhost:${port}/oauth/client.json`;
      jwksUrl = `https://localhost:${port}/oauth/jwks.json`;
      await runKeysHostCli([
        'keys',
        'generate',
        '--out',
        file('serve-keys.json'),
        '--jwks',
        file('serve-jwks.json'),
        '--jwks-uri',
        jwksUrl,
      ]);
      const document = writeJson(
        'serve.json',
        documentFor(url, {
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          jwks_uri: jwksUrl,
        }),
      );
      host = await startHostProcess(
        [document, '--jwks', file('serve-jwks.json'), ...tls, '--allow-private-network'],
        { env },
      );
    });
    afterAll(async () => {
      await host?.stop();
    });

    it('prints the document URL on stdout once listening', () => {
      expect(host.url).toBe(url);
      expect(host.stderr()).toContain(`Serving ${url}`);
      expect(host.stderr()).toContain(`JWKS: ${jwksUrl}`);
    });

    it('CIMD-DOC-01 serves the document: 200, application/json, Cache-Control, ETag; HEAD; 304 on If-None-Match', async () => {
      const answer = await httpsGet(ca, url);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('application/json');
      expect(answer.headers['cache-control']).toBe('public, max-age=300');
      const etag = answer.headers.etag as string;
      expect(etag).toMatch(/^"[\w-]+"$/);
      expect(JSON.parse(answer.body).client_id).toBe(url);
      const head = await httpsGet(ca, url, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.etag).toBe(etag);
      expect(head.body).toBe('');
      const notModified = await httpsGet(ca, url, { headers: { 'if-none-match': etag } });
      expect(notModified.status).toBe(304);
      expect(notModified.body).toBe('');
      expect((await httpsGet(ca, url, { method: 'POST' })).status).toBe(405);
      expect((await httpsGet(ca, url.replace('client.json', 'other.json'))).status).toBe(404);
    });

    it('serves the JWKS at the jwks_uri path, public members only', async () => {
      const answer = await httpsGet(ca, jwksUrl);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('application/json');
      expect(JSON.parse(answer.body).keys[0]).not.toHaveProperty('d');
    });

    it('CIMD-DOC-03 answers 500 (never the document) when asked under another name, and logs why', async () => {
      const answer = await httpsGet(ca, url.replace('localhost', '127.0.0.1'));
      expect(answer.status).toBe(500);
      expect(answer.body).toContain(`client_id:    ${url}`);
      expect(answer.body).not.toContain('Hosted Client');
      await expect
        .poll(() => host.stderr())
        .toMatch(/refused: the document was requested as https:\/\/127\.0\.0\.1:/);
    });

    it('logs each request to stderr', async () => {
      await expect.poll(() => host.stderr()).toMatch(/GET \/oauth\/client\.json -> 500/);
      expect(host.stderr()).toMatch(/\d{4}-\d\d-\d\dT[\d:.]+Z GET \/oauth\/client\.json -> 200 \(/);
      expect(host.stderr()).toMatch(/HEAD \/oauth\/client\.json -> 200/);
      expect(host.stderr()).toMatch(/GET \/oauth\/client\.json -> 304/);
    });

    it('cimd validate against it passes (private_key_jwt, jwks_uri fetched from it too)', async () => {
      const result = await runCimd(['validate', url, '--allow-private-network'], { env });
      expect(result.stderr).not.toContain('error');
      expect(result.stdout).toContain('✓ Valid client metadata document');
      expect(result.code).toBe(0);
    });

    it('cimd keys status against it is consistent', async () => {
      const result = await runKeysHostCli(
        ['keys', 'status', '--keys', file('serve-keys.json'), '--allow-private-network'],
        {
          env,
        },
      );
      expect(result.stdout).toContain('all good');
      expect(result.code).toBe(0);
    });
  });

  it('stops cleanly on SIGINT (exit 0)', async () => {
    const port = await freePort();
    const document = writeJson('sigint.json', documentFor(`https://localhost:${port}/c.json`));
    const host = await startHostProcess([document, ...tls, '--allow-private-network'], { env });
    const result = await host.stop('SIGINT');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('SIGINT: stopping');
  });

  it('refuses (exit 1) a document whose client_id is not where it would be served, explaining', async () => {
    const port = await freePort();
    const document = writeJson('mismatch.json', documentFor(`https://localhost:${port}/c.json`));
    const result = await runKeysHostCli([
      'host',
      document,
      ...tls,
      '--port',
      String(port === 65_535 ? port - 1 : port + 1),
      '--allow-private-network',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('it would not be served at its client_id');
    expect(result.stderr).toMatch(/client_id names port \d+, but this server listens on port \d+/);
    const http = await runKeysHostCli(['host', document, '--allow-private-network']);
    expect(http.code).toBe(1);
    expect(http.stderr).toContain('plain http');
    const proxied = await runKeysHostCli([
      'host',
      document,
      '--public-url',
      'https://app.example.com',
      '--allow-private-network',
    ]);
    expect(proxied.code).toBe(1);
    expect(proxied.stderr).toContain(
      'with --public-url https://app.example.com the document is served as https://app.example.com/c.json',
    );
  });

  it('lints first: errors exit 1 with their rule IDs; a loopback client_id needs --allow-private-network', async () => {
    const port = await freePort();
    const id = `https://localhost:${port}/c.json`;
    const secret = writeJson(
      'secret.json',
      documentFor(id, { client_secret: 'x', token_endpoint_auth_method: 'client_secret_post' }),
    );
    const result = await runKeysHostCli(['host', secret, ...tls, '--allow-private-network']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('CIMD-DOC-06');
    expect(result.stderr).toContain('CIMD-DOC-05');
    expect(result.stderr).toContain('Refusing to serve');
    const local = writeJson('local.json', documentFor(id));
    const strict = await runKeysHostCli(['host', local, ...tls]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('CIMD-URL-09');
    writeFileSync(file('broken.json'), '{');
    expect((await runKeysHostCli(['host', file('broken.json'), ...tls])).code).toBe(1);
  });

  it('CIMD-KEY-03 refuses (exit 1) to serve a JWKS holding a private key', async () => {
    const port = await freePort();
    const id = `https://localhost:${port}/c.json`;
    const jwksUri = `https://localhost:${port}/jwks.json`;
    await runKeysHostCli([
      'keys',
      'generate',
      '--out',
      file('leak-keys.json'),
      '--jwks',
      file('leak-public.json'),
    ]);
    const privateJwk = JSON.parse((await import('node:fs')).readFileSync(file('leak-keys.json'), 'utf8'))
      .keys[0].privateJwk;
    const jwks = writeJson('leak-jwks.json', { keys: [privateJwk] });
    const document = writeJson(
      'leak.json',
      documentFor(id, {
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks_uri: jwksUri,
      }),
    );
    const result = await runKeysHostCli([
      'host',
      document,
      '--jwks',
      jwks,
      ...tls,
      '--allow-private-network',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('CIMD-KEY-03');
    expect(result.stdout).toBe('');
  });

  it('usage errors exit 2: --tls-cert without --tls-key, an unreadable file, a busy port', async () => {
    const port = await freePort();
    const document = writeJson('usage.json', documentFor(`https://localhost:${port}/c.json`));
    const half = await runKeysHostCli([
      'host',
      document,
      '--tls-cert',
      file('cert.pem'),
      '--allow-private-network',
    ]);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('--tls-cert and --tls-key go together');
    expect((await runKeysHostCli(['host', file('missing.json')])).code).toBe(2);
    const first = await startHostProcess([document, ...tls, '--allow-private-network'], { env });
    try {
      const busy = await runKeysHostCli(['host', document, ...tls, '--allow-private-network']);
      expect(busy.code).toBe(2);
      expect(busy.stderr).toContain('the port is in use');
    } finally {
      await first.stop();
    }
  });
});

describe('hostCommand in process', () => {
  it('serves until its signal aborts, then exits 0', async () => {
    const dir = tempDir('cimd-host-inprocess-');
    const ca = createTestCa();
    try {
      const port = await freePort();
      const url = `https://localhost:${port}/client.json`;
      writeFileSync(join(dir.path, 'cert.pem'), ca.cert);
      writeFileSync(join(dir.path, 'key.pem'), ca.key);
      writeFileSync(
        join(dir.path, 'client.json'),
        JSON.stringify({
          client_id: url,
          client_name: 'In Process',
          redirect_uris: ['http://127.0.0.1/cb', 'http://localhost/cb'],
        }),
      );
      let stdout = '';
      let stderr = '';
      const sink = (append: (text: string) => void) =>
        new Writable({
          write(chunk, _encoding, done) {
            append(String(chunk));
            done();
          },
        });
      const io: CliIo = {
        stdout: sink((text) => {
          stdout += text;
        }),
        stderr: sink((text) => {
          stderr += text;
        }),
        interactive: false,
        colors: pc.createColors(false),
      };
      const controller = new AbortController();
      let exitCode: number | undefined;
      let listening: { documentUrl: string; port: number } | undefined;
      const served = new Promise<void>((resolve) => {
        const program = new Command('cimd').exitOverride();
        program.addCommand(
          hostCommand(
            io,
            (code) => {
              exitCode = code;
            },
            {
              signal: controller.signal,
              onListening: (info) => {
                listening = info;
                resolve();
              },
            },
          ).exitOverride(),
        );
        void program.parseAsync(
          [
            'host',
            join(dir.path, 'client.json'),
            '--tls-cert',
            join(dir.path, 'cert.pem'),
            '--tls-key',
            join(dir.path, 'key.pem'),
            '--allow-private-network',
          ],
          { from: 'user' },
        );
      });
      await served;
      expect(listening).toEqual({ documentUrl: url, port });
      expect(stdout).toBe(`${url}\n`);
      const answer = await httpsGet(ca, url);
      expect(answer.status).toBe(200);
      controller.abort();
      await expect.poll(() => exitCode).toBe(0);
      expect(stderr).toContain('Stopping');
    } finally {
      ca.dispose();
      dir.remove();
    }
  });
});
