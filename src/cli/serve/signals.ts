/**
 * Waiting for the signal to stop: the first SIGINT or SIGTERM starts a graceful shutdown; a
 * second one, while it is under way, ends the process at once.
 *
 * @module
 */

/** The signals that stop `cimd serve` and the demo. */
export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Exit code after a forced stop (a second signal): 128 + SIGINT. */
const FORCED_EXIT_CODE = 130;

/**
 * Resolves with the first shutdown signal received. Until `release()` is called afterwards, a
 * second signal exits the process immediately (`onForce` runs first).
 */
export function waitForShutdownSignal(onForce: (signal: NodeJS.Signals) => void = () => {}): {
  signal: Promise<NodeJS.Signals>;
  release(): void;
} {
  let received: NodeJS.Signals | undefined;
  let resolveSignal: (signal: NodeJS.Signals) => void = () => {};
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    resolveSignal = resolve;
  });
  const handler = (name: NodeJS.Signals) => {
    if (received === undefined) {
      received = name;
      resolveSignal(name);
      return;
    }
    onForce(name);
    process.exit(FORCED_EXIT_CODE);
  };
  for (const name of SHUTDOWN_SIGNALS) process.on(name, handler);
  return {
    signal,
    release: () => {
      for (const name of SHUTDOWN_SIGNALS) process.off(name, handler);
    },
  };
}
