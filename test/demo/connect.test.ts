/**
 * `cimd connect` through the demo, exactly as its banner tells a client author to run it: the
 * demo runs in-process (`startDemo({ port: 0 })`), the `cimd connect` commands are taken from the
 * banner text and run as printed (the built `dist/cli/cimd.cjs`, from the package root, with the
 * banner's `NODE_EXTRA_CA_CERTS`), the sign-in URL is read from the command's stderr and the
 * "user" approves it on the consent page. For the public and the `private_key_jwt` document
 * (signing with the demo's key set file, `--key`): the call prints the `whoami` answer, and
 * without `--call` the command lists the tools.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCommand, formatBanner } from '../../src/demo/banner.js';
import { checkDemoDocuments } from '../../src/demo/check-documents.js';
import { type Demo, startDemo } from '../../src/demo/start.js';
import { approveAuthorization } from '../helpers/approve.js';
import { requireBuiltBin } from '../helpers/run-cli.js';

const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = 'node dist/cli/cimd.cjs';

let demo: Demo;
let banner: string;
beforeAll(async () => {
  requireBuiltBin();
  demo = await startDemo({ port: 0 });
  banner = formatBanner(demo, {
    reports: await checkDemoDocuments(demo),
    authorizeUrl: demo.authorize('public'),
    cli: CLI,
  });
});
afterAll(async () => {
  await demo?.close();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** What happened to each sign-in URL the command printed. */
  signIns: Array<{ url: string; callbackStatus?: number; error?: string }>;
}

/**
 * Runs a printed shell command (`NAME=value ... node dist/cli/cimd.cjs args...`, continuation lines
 * allowed, nothing quoted) from the package root, approving every sign-in URL it prints.
 */
function runPrinted(
  command: string,
  change: { drop?: readonly string[]; add?: readonly string[] } = {},
): Promise<Run> {
  const words = command
    .replace(/\\\n\s*/g, ' ')
    .trim()
    .split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0] ?? '')) {
    const [name = '', ...value] = (words.shift() ?? '').split('=');
    env[name] = value.join('=');
  }
  expect(words.slice(0, 2).join(' ')).toBe(CLI);
  const drop = change.drop ?? [];
  const args = [...words.slice(2).filter((word) => !drop.includes(word)), ...(change.add ?? [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [words[1] ?? '', ...args], {
      cwd: PACKAGE_ROOT,
      env: { ...process.env, NO_COLOR: '1', CI: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = { code: null, stdout: '', stderr: '', signIns: [] };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      run.stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      run.stderr += chunk;
      for (const match of chunk.matchAll(/^\s+(http:\/\/\S+\/authorize\?\S+)$/gm)) {
        const signIn: Run['signIns'][number] = { url: match[1] ?? '' };
        run.signIns.push(signIn);
        approveAuthorization(signIn.url).then(
          ({ status }) => {
            signIn.callbackStatus = status;
          },
          (error: unknown) => {
            signIn.error = String(error);
          },
        );
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      run.code = code;
      resolve(run);
    });
  });
}

/** The command the banner prints for `client`, found in the banner text. */
function printedCommand(client: 'public' | 'agent'): string {
  const command = connectCommand(demo, client, CLI);
  expect(banner).toContain(`\n  ${command}\n`);
  return command;
}

describe('cimd connect through the npm start demo, as its banner prints it', () => {
  it('the banner names both documents, the demo key set file and the --key flag', () => {
    expect(printedCommand('public')).toContain(`--client-metadata-url ${demo.urls.publicDocument}`);
    expect(printedCommand('agent')).toContain(
      `--client-metadata-url ${demo.urls.agentDocument} --key ${demo.agentKeySetPath}`,
    );
    expect(banner).toContain(demo.agentKeySetPath);
  });

  it.each([
    ['public', 'none'],
    ['agent', 'private_key_jwt'],
  ] as const)(
    'the %s document (%s): signs in, calls whoami, and lists the tools',
    async (client, _method) => {
      const clientId = demo.clients[client].clientId;
      const call = await runPrinted(printedCommand(client), { add: ['--args', '{}'] });
      expect(call.stderr).toContain('Open this URL in your browser to sign in');
      expect(call.stderr).toMatch(/Warning: --allow-private-network is on/);
      expect(call.signIns).toHaveLength(1);
      expect(call.signIns[0]).toMatchObject({ callbackStatus: 200 });
      expect(new URL(call.signIns[0]?.url ?? '').searchParams.get('client_id')).toBe(clientId);
      expect(call.stderr).toContain('✓ Connected to mcp-cimd-demo');
      expect(call.code, call.stderr).toBe(0);
      expect(JSON.parse(call.stdout)).toMatchObject({
        subject: 'local-developer',
        client_id: clientId,
        resource: demo.urls.mcp,
      });

      const list = await runPrinted(printedCommand(client), { drop: ['--call', 'whoami'] });
      expect(list.signIns).toMatchObject([{ callbackStatus: 200 }]);
      expect(list.code, list.stderr).toBe(0);
      const tools = list.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(/\s+/)[0]);
      expect(tools).toEqual(['whoami', 'validate_client_metadata']);
    },
  );

  it('the private_key_jwt document without --key: refused before any sign-in, exit 2', async () => {
    const run = await runPrinted(printedCommand('agent'), { drop: ['--key', demo.agentKeySetPath] });
    expect(run.code).toBe(2);
    expect(run.signIns).toEqual([]);
    expect(run.stderr).toContain('--key');
  });
});
