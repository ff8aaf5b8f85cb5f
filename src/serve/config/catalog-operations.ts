/**
 * The operations options of `cimd serve`: the metrics listener, the graceful shutdown's bound
 * and the audit stream.
 *
 * @module
 */
import type { ServeOptionSpec } from './option-spec.js';

/** The operations options, in the order `--help` and docs/configuration.md list them. */
export const OPERATIONS_OPTIONS: readonly ServeOptionSpec[] = [
  {
    key: 'metricsPort',
    flag: '--metrics-port <port>',
    env: ['CIMD_METRICS_PORT'],
    kind: 'integer',
    description:
      'serve Prometheus metrics at /metrics (and /health, /ready) on a listener of their own on this port (0 picks a free one)',
    defaultText: 'none (no metrics listener)',
  },
  {
    key: 'metricsHost',
    flag: '--metrics-host <address>',
    env: ['CIMD_METRICS_HOST'],
    kind: 'string',
    description: 'address of the metrics listener',
    defaultText: '127.0.0.1',
  },
  {
    key: 'shutdownTimeout',
    flag: '--shutdown-timeout <seconds>',
    env: ['CIMD_SHUTDOWN_TIMEOUT'],
    kind: 'integer',
    description:
      'on SIGTERM or SIGINT, how long requests in flight may take to finish before their connections are cut (at most 3600)',
    defaultText: '10',
    unit: 'seconds',
  },
  {
    key: 'audit',
    flag: '--audit <sink>',
    env: ['CIMD_AUDIT'],
    kind: 'string',
    description:
      'where audit events go, one JSON object a line (docs/audit.md): stdout, file:<path> (appended, mode 0600) or off',
    defaultText: 'off',
  },
];
