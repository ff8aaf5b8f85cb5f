/**
 * `cimd serve`, as the built bin, for tests: started as a subprocess, read until its `listening`
 * log line (every stdout line is JSON), then stopped with a signal.
 */
import { createServer } from 'node:net';
import { BIN } from '../helpers/run-cli.js';
import { type Spawned, spawnNode } from './process.js';

/** The environment of the subprocess: this one without anything `cimd serve` reads, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (
      value === undefined ||
      /^(CIMD_|PORT$|HOST$|DATABASE_URL$|REDIS_URL$|LOG_LEVEL$|UV_THREADPOOL_SIZE$)/.test(name)
    )
      continue;
    env[name] = value;
  }
  return { ...env, NO_COLOR: '1', CI: '1', ...extra };
}

/** One JSON log line. */
export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** A running `cimd serve`. */
export interface Served {
  child: Spawned['child'];
  /** Every stdout line so far, parsed. */
  lines: LogLine[];
  stderr: () => string;
  listening: LogLine & { url: string; issuer: string; endpoints: Record<string, string> };
  /**
   * Sends `signal` (to the whole process group when started with `group`, as a terminal's Ctrl-C
   * does) and resolves with the exit code (rejects after `withinMs`).
   */
  stop(signal?: NodeJS.Signals, withinMs?: number): Promise<number | null>;
}

/** Every child started and not yet stopped: {@link killAll} ends them. */
const running = new Set<Served['child']>();

/** Kills (SIGKILL) every `cimd serve` still running. */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** Options of {@link serve}. */
export interface ServeOptions {
  /** Extra environment variables (on top of {@link cleanEnv}). */
  env?: Record<string, string>;
  /** The working directory. */
  cwd: string;
  /** In a process group of its own (with whatever it starts), as a shell starts a command. */
  group?: boolean;
  /** How long to wait for the `listening` line, in ms. Default 30 000. */
  timeoutMs?: number;
}

/** Starts `cimd serve <args>` and resolves once it logged `listening`. */
export function serve(args: string[], options: ServeOptions): Promise<Served> {
  const lines: LogLine[] = [];
  let buffer = '';
  let listening: ((line: LogLine) => void) | undefined;
  const spawned = spawnNode(BIN, ['serve', ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    detached: options.group === true,
    onStdout(chunk) {
      buffer += chunk;
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const part of parts) {
        if (part.trim() === '') continue;
        const line = JSON.parse(part) as LogLine; // every stdout line is JSON
        lines.push(line);
        if (line.msg === 'listening') listening?.(line);
      }
    },
  });
  const { child } = spawned;
  running.add(child);
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no listening line within ${timeoutMs} ms; stderr: ${spawned.stderr()}`)),
      timeoutMs,
    );
    const stop = async (signal: NodeJS.Signals = 'SIGTERM', withinMs = 5000) => {
      const code = await spawned.stop(signal, withinMs);
      running.delete(child);
      return code;
    };
    listening = (line) => {
      clearTimeout(timer);
      resolve({ child, lines, stderr: spawned.stderr, listening: line as Served['listening'], stop });
    };
    spawned.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`cimd serve exited with ${code} before listening; stderr: ${spawned.stderr()}`));
    });
  });
}

/** A port that was free on 127.0.0.1 a moment ago (bound on 0, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
