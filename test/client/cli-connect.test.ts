/**
 * `cimd connect` as a subprocess (the built command, run through a small harness until it is
 * registered in the `cimd` bin): it fetches the document from a local HTTPS host (test CA),
 * prints the sign-in URL with --print-url (a headless "browser" follows it), then lists the tools
 * or calls one.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHeadlessAuthorizer } from '../../src/conformance/headless.js';
import { approveAuthorization } from '../helpers/approve.js';
import { type HttpsHost, json, startHttpsHost } from '../helpers/https-host.js';
import { type E2e, servePublicClient, startE2e } from '../helpers/mcp-e2e.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';
import { publicDocument } from './helpers/documents.js';
import { type FakeAs, type FakeMcp, startFakeAs, startFakeMcp } from './helpers/fake-servers.js';

const COMMAND = fileURLToPath(new URL('../../dist/cli/commands/connect.js', import.meta.url));
const IO = fileURLToPath(new URL('../../dist/cli/io.js', import.meta.url));

const HARNESS = `
import { Command } from 'commander';
import { connectCommand } from ${JSON.stringify(pathToFileURL(COMMAND).href)};
import { processIo } from ${JSON.stringify(pathToFileURL(IO).href)};
let code = 0;
const program = new Command('cimd').exitOverride();
program.addCommand(connectCommand(processIo(), (value) => { code = value; }).exitOverride());
try {
  await program.parseAsync(JSON.parse(process.env.CIMD_TEST_ARGS), { from: 'user' });
} catch (error) {
  if (error?.code !== 'commander.helpDisplayed') process.stderr.write('error: ' + error.message + '\\n');
  code = 2;
}
process.exitCode = code;
`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `cimd connect <args>`; every sign-in URL printed on stderr is followed headlessly (by `authorize`). */
function runConnect(
  args: string[],
  env: Record<string, string>,
  authorize: (url: URL) => Promise<unknown> | unknown = createHeadlessAuthorizer(),
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', HARNESS], {
      env: {
        ...process.env,
        NO_COLOR: '1',
        CI: '1',
        ...env,
        CIMD_TEST_ARGS: JSON.stringify(['connect', ...args]),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      for (const match of chunk.matchAll(/(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/g)) {
        Promise.resolve(authorize(new URL(match[1] ?? ''))).catch(() => {});
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('cimd connect', () => {
  let ca: TestCa;
  let host: HttpsHost;
  let as: FakeAs;
  let mcp: FakeMcp;
  let documentUrl: string;
  let env: Record<string, string>;
  const base = () => ['--client-metadata-url', documentUrl, '--allow-private-network', '--print-url'];

  beforeAll(async () => {
    if (!existsSync(COMMAND))
      throw new Error('dist/cli/commands/connect.js is missing: run `npm run build` first');
    ca = createTestCa();
    host = await startHttpsHost(ca);
    documentUrl = `${host.origin}/oauth/client.json`;
    const document = publicDocument({ client_id: documentUrl });
    host.route('/oauth/client.json', json(document));
    as = await startFakeAs({ cimd: true, documents: { [documentUrl]: document } });
    mcp = await startFakeMcp({ as });
    env = { NODE_EXTRA_CA_CERTS: ca.caCertPath };
  });
  afterAll(async () => {
    await mcp.close();
    await as.close();
    await host.close();
    ca.dispose();
  });

  it('signs in through the printed URL and lists the tools as JSON', async () => {
    const run = await runConnect([mcp.url, ...base(), '--json'], env);
    expect(run.stderr).toContain('Open this URL in your browser to sign in');
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout) as { tools: Array<{ name: string }> };
    expect(output.tools.map((tool) => tool.name)).toEqual(['echo']);
    expect(as.authorizeRequests.at(-1)?.get('client_id')).toBe(documentUrl);
  });

  it('calls a tool with --call and --args and prints its text', async () => {
    const run = await runConnect([mcp.url, ...base(), '--call', 'echo', '--args', '{"text":"hello"}'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('hello\n');
  });

  it('exits 1 for a tool the server does not have', async () => {
    const run = await runConnect([mcp.url, ...base(), '--call', 'nope'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no tool named nope');
  });

  it('exits 2 for --args that are not a JSON object, before connecting', async () => {
    const before = as.authorizeRequests.length;
    const run = await runConnect([mcp.url, ...base(), '--call', 'echo', '--args', '[1]'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--args must be a JSON object');
    expect(as.authorizeRequests).toHaveLength(before);
  });

  it('exits 2 with the reason when the sign-in is refused', async () => {
    as.options.callbackState = 'wrong';
    try {
      const run = await runConnect([mcp.url, ...base()], env);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/Cannot connect .*state that this sign-in did not send/);
    } finally {
      delete as.options.callbackState;
    }
  });
});

describe('cimd connect --transport (our authorization server, an SDK 1.x MCP server on SSE)', () => {
  let e2e: E2e;
  let documentUrl: string;
  beforeAll(async () => {
    if (!existsSync(COMMAND))
      throw new Error('dist/cli/commands/connect.js is missing: run `npm run build` first');
    e2e = await startE2e({ mcpSdk: 1, mcpTransport: 'sse' });
    documentUrl = servePublicClient(e2e, 'cli-sse');
  });
  afterAll(async () => {
    await e2e?.close();
  });

  const run = (transport: string) =>
    runConnect(
      [
        e2e.resource,
        '--client-metadata-url',
        documentUrl,
        '--allow-private-network',
        '--print-url',
        '--json',
        '--transport',
        transport,
      ],
      { NODE_EXTRA_CA_CERTS: e2e.ca.caCertPath },
      (url) => approveAuthorization(url),
    );

  it('--transport sse and --transport auto sign in and list the tools of an SSE-only server', async () => {
    for (const transport of ['sse', 'auto']) {
      const result = await run(transport);
      expect(result.code, result.stderr).toBe(0);
      const output = JSON.parse(result.stdout) as { tools: Array<{ name: string }> };
      expect(output.tools.map((tool) => tool.name)).toEqual(['whoami']);
    }
  });

  it('--transport takes only the three kinds', async () => {
    const result = await run('websocket');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/streamable-http, sse, auto/);
  });
});
