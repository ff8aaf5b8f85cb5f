/**
 * Runs a Node entry point as a child process standing in for this one (`cimd serve --demo` runs
 * the demo's entry so): same Node, same working directory and environment, its output on this
 * process's streams, SIGINT and SIGTERM relayed to it, and its exit code returned.
 *
 * Signals are relayed over an IPC channel, not re-sent as signals (see `waitForShutdownSignal`):
 * a first one asks the child to stop gracefully, a second one to stop at once. Until the child
 * says it listens for them, a first request waits and a second one is sent as the signal itself
 * (ending a child that has no handler yet).
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isStopMessage, SHUTDOWN_SIGNALS, STOP_CHANNEL_ENV, type StopMessage } from './signals.js';

/** Options of {@link runNodeEntry}. */
export interface RunNodeEntryOptions {
  /** Where the child's stdout goes. Default: this process's own stdout, inherited. */
  stdout?: NodeJS.WritableStream;
  /** Where the child's stderr goes. Default: this process's own stderr, inherited. */
  stderr?: NodeJS.WritableStream;
}

/** The exit code of a process ended by `signal`: 128 + its number. */
function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Runs `node <entry> <args…>` and resolves with its exit code once it has exited and its output
 * is written (128 + the signal's number when a signal ended it).
 */
export function runNodeEntry(
  entry: URL,
  args: readonly string[],
  options: RunNodeEntryOptions = {},
): Promise<number> {
  const own = (stream: NodeJS.WritableStream | undefined, fd: NodeJS.WritableStream) =>
    stream === undefined || stream === fd;
  const stdout = own(options.stdout, process.stdout) ? 'inherit' : 'pipe';
  const stderr = own(options.stderr, process.stderr) ? 'inherit' : 'pipe';
  const child = spawn(process.execPath, [fileURLToPath(entry), ...args], {
    stdio: ['inherit', stdout, stderr, 'ipc'],
    env: { ...process.env, [STOP_CHANNEL_ENV]: 'ipc' },
  });
  if (options.stdout !== undefined) child.stdout?.pipe(options.stdout, { end: false });
  if (options.stderr !== undefined) child.stderr?.pipe(options.stderr, { end: false });

  let ready = false;
  let requested: NodeJS.Signals | undefined;
  const send = (message: StopMessage) => {
    if (child.connected) child.send(message);
  };
  const relay = (signal: NodeJS.Signals) => {
    if (requested === undefined) {
      requested = signal;
      if (ready) send({ cimd: 'stop', signal });
    } else if (ready) {
      send({ cimd: 'force', signal });
    } else {
      child.kill(signal);
    }
  };
  child.on('message', (message: unknown) => {
    if (!isStopMessage(message) || message.cimd !== 'ready' || ready) return;
    ready = true;
    if (requested !== undefined) send({ cimd: 'stop', signal: requested });
  });
  for (const name of SHUTDOWN_SIGNALS) process.on(name, relay);
  const release = () => {
    for (const name of SHUTDOWN_SIGNALS) process.off(name, relay);
  };
  return new Promise<number>((resolve, reject) => {
    child.once('error', (error) => {
      release();
      reject(error);
    });
    child.once('close', (code, signal) => {
      release();
      resolve(code ?? (signal === null ? 1 : signalExitCode(signal)));
    });
  });
}
