/**
 * Waiting for the request to stop: the first SIGINT or SIGTERM starts a graceful shutdown; a
 * second one, while it is under way, ends the process at once.
 *
 * A process started by a parent through `runNodeEntry` (`cimd serve --demo` runs the demo so;
 * it sets {@link STOP_CHANNEL_ENV} and opens an IPC channel) also takes its stop requests from
 * the parent over that channel: the parent relays the signals it receives as messages rather
 * than as signals, because a terminal's Ctrl-C reaches both processes already (they share its
 * process group) and a relayed copy would count as a second signal. A relayed `stop` never
 * forces; a relayed `force` does; a parent that goes away (the channel disconnects) stops the
 * child gracefully.
 *
 * @module
 */

/** The signals that stop `cimd serve` and the demo. */
export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Exit code after a forced stop (a second signal): 128 + SIGINT. */
const FORCED_EXIT_CODE = 130;

/**
 * The environment variable (value `ipc`) by which a parent tells its child to take stop
 * requests over the IPC channel (see the module documentation).
 */
export const STOP_CHANNEL_ENV = 'CIMD_STOP_CHANNEL';

/** A message between a parent and the child it runs (see the module documentation). */
export type StopMessage =
  /** Child to parent: stop requests are heard from now on. */
  | { readonly cimd: 'ready' }
  /** Parent to child: stop gracefully (the parent received `signal`). */
  | { readonly cimd: 'stop'; readonly signal: NodeJS.Signals }
  /** Parent to child: stop now (the parent received a second signal). */
  | { readonly cimd: 'force'; readonly signal: NodeJS.Signals };

/** Whether `value` is a {@link StopMessage}. */
export function isStopMessage(value: unknown): value is StopMessage {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { cimd?: unknown }).cimd;
  return kind === 'ready' || kind === 'stop' || kind === 'force';
}

/** A pending stop request: see {@link waitForShutdownSignal}. */
export interface ShutdownRequest {
  /** Resolves with the first signal received (relayed or not; `SIGHUP` when the parent went away). */
  readonly signal: Promise<NodeJS.Signals>;
  /** Stops listening (a second signal no longer exits the process). */
  release(): void;
}

/**
 * Resolves with the first shutdown signal received. Until `release()` is called afterwards, a
 * second signal exits the process immediately (`onForce` runs first).
 */
export function waitForShutdownSignal(onForce: (signal: NodeJS.Signals) => void = () => {}): ShutdownRequest {
  let received: NodeJS.Signals | undefined;
  let resolveSignal: (signal: NodeJS.Signals) => void = () => {};
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    resolveSignal = resolve;
  });
  const stop = (name: NodeJS.Signals) => {
    received ??= name;
    resolveSignal(received);
  };
  const force = (name: NodeJS.Signals) => {
    onForce(name);
    process.exit(FORCED_EXIT_CODE);
  };
  // Signals this process receives itself: the first stops, a second forces.
  let signalled = false;
  const onSignal = (name: NodeJS.Signals) => {
    if (signalled) force(name);
    signalled = true;
    stop(name);
  };
  const onMessage = (message: unknown) => {
    if (!isStopMessage(message) || message.cimd === 'ready') return;
    if (message.cimd === 'force') force(message.signal);
    stop(message.signal);
  };
  const onDisconnect = () => stop('SIGHUP');
  for (const name of SHUTDOWN_SIGNALS) process.on(name, onSignal);
  const relayed = process.env[STOP_CHANNEL_ENV] === 'ipc' && process.send !== undefined && process.connected;
  if (relayed) {
    process.on('message', onMessage);
    process.on('disconnect', onDisconnect);
    process.send?.({ cimd: 'ready' } satisfies StopMessage);
  }
  return {
    signal,
    release: () => {
      for (const name of SHUTDOWN_SIGNALS) process.off(name, onSignal);
      process.off('message', onMessage);
      process.off('disconnect', onDisconnect);
    },
  };
}
