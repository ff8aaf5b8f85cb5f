/**
 * The MCP conformance suite's `authorization` command (`@modelcontextprotocol/conformance`, pinned;
 * it needs Node 22: npx downloads both on first use), run against an authorization server: the
 * process, a wait for a line it prints, and the verdict: the closing summary with no failure, and
 * every check in every `checks.json` it saved SUCCESS (a WARNING fails too).
 * Set CIMD_SKIP_CONFORMANCE=1 to skip the tests that use it where the npm registry cannot be reached.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type HttpsHost, json } from '../../src/testing/index.js';
import { freePort } from '../serve/served.js';

/** The suite, pinned. */
export const SUITE = '@modelcontextprotocol/conformance@0.2.0-alpha.12';

/** The scenarios `authorization` runs, in order. */
export const SCENARIOS = ['authorization-server-metadata-endpoint', 'authorization-code-grant'] as const;

/** How long the suite may run, first download included (a test's own timeout is a little longer). */
export const DEADLINE_MS = 230_000;

/** Whether CIMD_SKIP_CONFORMANCE=1 asks to skip; says so (naming `file`) when it does. */
export function skipConformance(file: string): boolean {
  const skip = process.env.CIMD_SKIP_CONFORMANCE === '1';
  if (skip) {
    console.warn(
      `${file} is SKIPPED: CIMD_SKIP_CONFORMANCE=1 (unset it to run the MCP conformance suite, which npx fetches from the npm registry)`,
    );
  }
  return skip;
}

/** The running suite: its combined output so far, and its exit. */
export interface SuiteRun {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first stdout line that starts with `prefix`; rejects if the suite exits first. */
  lineStartingWith(prefix: string): Promise<string>;
  exit: Promise<number | null>;
  /** Ends the suite and everything it started (its own process group). */
  kill(): void;
}

/** Starts `conformance authorization <args>` (a shell-quoted argument string). */
export function startSuite(args: string): SuiteRun {
  const child = spawn(
    'npx',
    ['-y', '-p', 'node@22', '-p', SUITE, '-c', `conformance authorization ${args}`],
    { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  let pending = '';
  const waiters: { prefix: string; resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  const lines: string[] = [];
  const offer = (line: string) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (!line.startsWith(waiter.prefix)) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts) offer(part.replace(/\r$/, ''));
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exit = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending !== '') offer(pending);
      for (const waiter of waiters.splice(0)) {
        waiter.reject(
          new Error(`the suite exited (code ${code}) before printing a line starting with ${waiter.prefix}`),
        );
      }
      resolve(code);
    });
  });
  const kill = () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  const timer = setTimeout(kill, DEADLINE_MS);
  void exit.finally(() => clearTimeout(timer)).catch(() => undefined);
  return {
    child,
    output: () => output,
    lineStartingWith: (prefix) => {
      const seen = lines.find((line) => line.startsWith(prefix));
      if (seen !== undefined) return Promise.resolve(seen);
      if (child.exitCode !== null || child.signalCode !== null) {
        return Promise.reject(new Error(`the suite exited before printing a line starting with ${prefix}`));
      }
      return new Promise((resolve, reject) => waiters.push({ prefix, resolve, reject }));
    },
    exit,
    kill,
  };
}

interface Check {
  id: string;
  status: string;
  errorMessage?: string;
}

/** The checks of every scenario the suite saved under `dir` (one folder per scenario). */
function savedChecks(dir: string): Map<string, Check[]> {
  const result = new Map<string, Check[]>();
  for (const entry of readdirSync(dir)) {
    const scenario = SCENARIOS.find((name) => entry.startsWith(`authorization-server-${name}-`));
    if (scenario === undefined) continue;
    const checks = JSON.parse(readFileSync(join(dir, entry, 'checks.json'), 'utf8')) as Check[];
    result.set(scenario, checks);
  }
  return result;
}

/**
 * Waits for the suite to exit and requires a clean run: 3 passed, 0 failed in its summary, exit
 * 0, both scenarios saved under `outputDir`, and every check SUCCESS.
 */
export async function expectCleanRun(run: SuiteRun, outputDir: string): Promise<void> {
  const code = await run.exit;
  const output = run.output();
  const summary = output.slice(output.lastIndexOf('=== SUMMARY ==='));
  expect(summary, output).toMatch(/✓ authorization-server-metadata-endpoint: 2 passed, 0 failed/);
  expect(summary, output).toMatch(/✓ authorization-code-grant: 1 passed, 0 failed/);
  expect(summary, output).toMatch(/Total: 3 passed, 0 failed/);
  expect(code, output).toBe(0);

  const checks = savedChecks(outputDir);
  expect([...checks.keys()].sort(), output).toEqual([...SCENARIOS].sort());
  const all = [...checks.values()].flat();
  expect(
    all.map((check) => check.id),
    output,
  ).toEqual(
    expect.arrayContaining([
      'authorization-server-metadata',
      'authorization-server-metadata-cimd',
      'authorization-code-grant',
    ]),
  );
  const notSuccess = all.filter((check) => check.status !== 'SUCCESS');
  expect(notSuccess, `${JSON.stringify(all, null, 2)}\n${output}`).toEqual([]);
}

/** Serves the suite's client metadata document on `host` (a loopback callback); returns its `client_id`. */
export function hostSuiteClientDocument(host: HttpsHost): string {
  const clientId = `${host.origin}/oauth/client-metadata.json`;
  host.route(
    '/oauth/client-metadata.json',
    json({
      client_id: clientId,
      client_name: 'MCP conformance suite',
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }),
  );
  return clientId;
}

/** Options of {@link runAuthorizationSuite}. */
export interface AuthorizationSuiteOptions {
  issuer: string;
  clientId: string;
  resource: string;
  /** Where the suite saves its checks. */
  outputDir: string;
  /**
   * The human: signs in at the authorization URL and delivers the redirect to the suite's
   * callback; returns that callback URL and the status the suite answered it with.
   */
  user(authorizationUrl: string): Promise<{ callback: URL; status: number }>;
  /** Called with the running suite (to end it from `afterAll` when a test times out). */
  started?(run: SuiteRun): void;
  /** More to print when the run fails (a server's stderr). Default: nothing. */
  diagnostics?(): string;
}

/**
 * Runs `conformance authorization` against `issuer`, plays the user once the suite listens for
 * its callback, checks the callback (its path and `iss`) and requires a clean run
 * ({@link expectCleanRun}). On failure the suite's output is printed.
 */
export async function runAuthorizationSuite(options: AuthorizationSuiteOptions): Promise<void> {
  const { issuer } = options;
  const callbackPort = await freePort();
  const run = startSuite(
    [
      `--url '${issuer}'`,
      `--client-id '${options.clientId}'`,
      `--port ${callbackPort}`,
      `--resource '${options.resource}'`,
      `-o '${options.outputDir}'`,
    ].join(' '),
  );
  options.started?.(run);
  try {
    const authorizationUrl = await run.lineStartingWith(`${issuer}/authorize?`);
    // The suite starts its callback listener as it prints the URL: play the user once it listens.
    await run.lineStartingWith(`Callback server started: http://127.0.0.1:${callbackPort}`);
    const { callback, status } = await options.user(authorizationUrl);
    expect(`${callback.origin}${callback.pathname}`).toBe(`http://127.0.0.1:${callbackPort}/callback`);
    expect(callback.searchParams.get('iss')).toBe(issuer);
    expect(status, 'the suite received the callback').toBe(200);
    await expectCleanRun(run, options.outputDir);
  } catch (error) {
    run.kill();
    await run.exit.catch(() => undefined);
    console.error(`The conformance suite's output:\n${run.output()}${options.diagnostics?.() ?? ''}`);
    throw error;
  } finally {
    run.kill();
  }
}
