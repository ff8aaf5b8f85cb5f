/**
 * A Node entry point run as a subprocess for tests (the built `cimd` bin, the demo's entry): its
 * output collected as it comes, its exit awaited, and a stop by signal with a deadline.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** A running subprocess. */
export interface Spawned {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** Everything it wrote to stdout so far. */
  stdout(): string;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Resolves with its exit code. */
  exited: Promise<number | null>;
  /**
   * Sends `signal` (to its whole process group when started `detached`, as a terminal's Ctrl-C
   * does) and resolves with the exit code; rejects after `withinMs` (default 5000).
   */
  stop(signal?: NodeJS.Signals, withinMs?: number): Promise<number | null>;
}

/** Options of {@link spawnNode}. */
export interface SpawnNodeOptions {
  /** The environment. Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** The working directory. Default: this process's. */
  cwd?: string;
  /** In a process group of its own (with whatever it starts), as a shell starts a command. */
  detached?: boolean;
  /** Called with each stdout chunk as it arrives. */
  onStdout?: (chunk: string) => void;
}

/** Runs `node <entry> <args…>`. */
export function spawnNode(entry: string, args: readonly string[], options: SpawnNodeOptions = {}): Spawned {
  const child = spawn(process.execPath, [entry, ...args], {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached === true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    options.onStdout?.(chunk);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async stop(signal = 'SIGTERM', withinMs = 5000) {
      if (options.detached === true && child.pid !== undefined) process.kill(-child.pid, signal);
      else child.kill(signal);
      return Promise.race([
        exited,
        new Promise<never>((_, fail) =>
          setTimeout(() => fail(new Error(`no exit within ${withinMs} ms after ${signal}`)), withinMs),
        ),
      ]);
    },
  };
}

/** The demo's built entry, `dist/demo/main.js` (what `npm start` runs). */
export const DEMO_MAIN = fileURLToPath(new URL('../../dist/demo/main.js', import.meta.url));

/** Throws a clear error when the demo has not been built. */
export function requireBuiltDemo(): void {
  if (!existsSync(DEMO_MAIN))
    throw new Error('dist/demo/main.js is missing: run `npm run build` first (npm test does)');
}
