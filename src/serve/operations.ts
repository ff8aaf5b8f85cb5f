/**
 * The operations side of `cimd serve`: the audit sink (`--audit`), the Prometheus metrics and
 * their listener (`--metrics-port`, `--metrics-host`), which also answers `/health` and `/ready`
 * so a probe need not reach the main listener.
 *
 * @module
 */
import { type AuditSink, fileAuditSink, streamAuditSink } from '../server/audit/sinks.js';
import type { AuthorizationServer } from '../server/authorization-server/create.js';
import { healthResponse, readinessResponse } from '../server/endpoints/health.js';
import { createPrometheusMetrics, type PrometheusMetrics } from '../server/metrics/prometheus.js';
import type { AuditConfig } from './config/resolve.js';
import { StartupError } from './errors.js';
import { type Listener, listen } from './listen.js';

/** The audit sink `config` names, or `undefined` when audit is off. */
export async function openAuditSink(config: AuditConfig): Promise<AuditSink | undefined> {
  switch (config.kind) {
    case 'off':
      return undefined;
    case 'stdout':
      return streamAuditSink(process.stdout);
    case 'file':
      try {
        return await fileAuditSink(config.path);
      } catch (error) {
        throw new StartupError(
          `cannot open the audit file ${config.path}: ${(error as Error).message} (check --audit)`,
        );
      }
  }
}

/** The metrics of `cimd serve`: the server's, and the process's (CPU, memory, event loop). */
export function createServeMetrics(): PrometheusMetrics {
  return createPrometheusMetrics({ processMetrics: true });
}

/** Binds the metrics listener: `/metrics`, `/health` and `/ready`; anything else is 404. */
export function listenForMetrics(
  address: { host: string; port: number },
  metrics: PrometheusMetrics,
  server: () => AuthorizationServer | undefined,
): Promise<Listener> {
  return listen({
    host: address.host,
    port: address.port,
    fetch: async (request) => {
      const { pathname } = new URL(request.url);
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return new Response('method not allowed', { status: 405, headers: { allow: 'GET, HEAD' } });
      }
      if (pathname === '/metrics') return metrics.response();
      if (pathname === '/health') return healthResponse();
      if (pathname === '/ready') {
        const running = server();
        if (running === undefined) {
          return readinessResponse({ ready: false, reasons: ['starting: the server is not up yet'] });
        }
        return readinessResponse(await running.readiness());
      }
      return new Response('not found', { status: 404 });
    },
  });
}
