/**
 * Runs `cimd keys` / `cimd host` as subprocesses of the BUILT code. When the built bin registers
 * the commands (dist/cli/main.js), the bin itself runs; until then, keys-host-entry.mjs wires the
 * built commands the same way. Either way the code under test is dist/, as users run it.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BIN, type CliResult, requireBuiltBin, runCimd } from '../helpers/run-cli.js';

const ENTRY = fileURLToPath(new URL('./keys-host-entry.mjs', import.meta.url));

let registered: boolean | undefined;

/** True when dist/cli/cimd.cjs lists `keys` and `host` among its commands (main.ts registers them). */
export function binRegistersKeysAndHost(): boolean {
  if (registered === undefined) {
    requireBuiltBin();
    const help = spawnSync(process.execPath, [BIN, '--help'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    const commands = help.stdout.slice(help.stdout.indexOf('Commands:'));
    registered = /^ {2}keys\b/m.test(commands) && /^ {2}host\b/m.test(commands);
  }
  return registered;
}

/** The script that runs `cimd`: the bin when it registers the commands, else the test entry. */
export function cimdScript(): string {
  return binRegistersKeysAndHost() ? BIN : ENTRY;
}

/** Runs `cimd <args>` to completion (NO_COLOR, CI set). */
export async function runKeysHostCli(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  if (binRegistersKeysAndHost()) return runCimd(args, options);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ENTRY, ...args], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', CI: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    collect(child, options.timeoutMs ?? 15_000).then(resolve, reject);
  });
}

function collect(
  child: ChildProcessWithoutNullStreams | ReturnType<typeof spawn>,
  timeoutMs: number,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A running `cimd host` subprocess. */
export interface HostProcess {
  /** The document URL the host printed on stdout once listening. */
  url: string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code and output. */
  stop(signal?: NodeJS.Signals): Promise<CliResult>;
}

/**
 * Starts `cimd host <args>` and resolves once it prints its URL; rejects with its output when it
 * exits first (or after `timeoutMs`).
 */
export function startHostProcess(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<HostProcess> {
  const child = spawn(process.execPath, [cimdScript(), 'host', ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', CI: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = collect(child, 60_000);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cimd host did not start in time:\n${stderr}`));
    }, options.timeoutMs ?? 10_000);
    const onData = () => {
      const line = stdout.split('\n')[0];
      if (!stdout.includes('\n') || line === undefined) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve({
        url: line.trim(),
        stderr: () => stderr,
        stop: (signal = 'SIGTERM') => {
          child.kill(signal);
          return done;
        },
      });
    };
    child.stdout.on('data', onData);
    done.then((result) => {
      clearTimeout(timer);
      reject(new Error(`cimd host exited with ${result.code} before listening:\n${result.stderr}`));
    });
  });
}
