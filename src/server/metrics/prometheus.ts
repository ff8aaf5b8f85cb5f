/**
 * Prometheus metrics for the authorization server, from its events (`observers` option): an
 * adapter over `prom-client` that registers its metrics on a registry of its own (never
 * prom-client's global one), so several servers in one process keep their counts apart.
 *
 * Metrics (prefix `cimd_` by default; labels are bounded: route patterns, never raw paths):
 * `http_requests_total` and `http_request_duration_seconds` (method, route, status),
 * `client_fetches_total` (target `document`/`jwks`, outcome), `client_cache_lookups_total`
 * (target, result `hit`/`miss`), `fetch_budget_refusals_total` (limit), `tokens_issued_total`
 * (grant_type), `tokens_refused_total` (error), `replays_detected_total` (kind),
 * `consents_total` (action), `client_documents_total` (event).
 *
 * @module
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { ServerEvent, ServerObserver } from '../events.js';

/** Options of {@link createPrometheusMetrics}. */
export interface PrometheusMetricsOptions {
  /** The registry to register on. Default: a new one (never prom-client's global registry). */
  registry?: Registry;
  /** The prefix of every metric name. Default `cimd_`. */
  prefix?: string;
  /** Also collect prom-client's process metrics (CPU, memory, event loop lag), prefixed. Default `false`. */
  processMetrics?: boolean;
}

/** The server's metrics: pass `observer` to `createAuthorizationServer({ observers })`, expose `registry`. */
export interface PrometheusMetrics {
  readonly registry: Registry;
  readonly observer: ServerObserver;
  /** The text exposition of `registry` as an HTTP response (`text/plain; version=0.0.4`). */
  response(): Promise<Response>;
}

/** Request latency buckets, in seconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Creates the metrics and the observer that feeds them. */
export function createPrometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? 'cimd_';
  const registers = [registry];
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry, prefix });
  const requests = new Counter({
    name: `${prefix}http_requests_total`,
    help: 'Requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const latency = new Histogram({
    name: `${prefix}http_request_duration_seconds`,
    help: 'Time to answer a request, by method, route pattern and status, in seconds.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const fetches = new Counter({
    name: `${prefix}client_fetches_total`,
    help: 'Fetches of client metadata documents and jwks_uri key sets, by target and outcome.',
    labelNames: ['target', 'outcome'] as const,
    registers,
  });
  const cache = new Counter({
    name: `${prefix}client_cache_lookups_total`,
    help: 'Cache lookups of client documents and key sets, by target and result (hit, miss).',
    labelNames: ['target', 'result'] as const,
    registers,
  });
  const budget = new Counter({
    name: `${prefix}fetch_budget_refusals_total`,
    help: 'Document fetches refused by the per-origin fetch budget, by limit.',
    labelNames: ['limit'] as const,
    registers,
  });
  const issued = new Counter({
    name: `${prefix}tokens_issued_total`,
    help: 'Token responses issued, by grant type.',
    labelNames: ['grant_type'] as const,
    registers,
  });
  const refused = new Counter({
    name: `${prefix}tokens_refused_total`,
    help: 'Token requests refused, by OAuth error code.',
    labelNames: ['error'] as const,
    registers,
  });
  const replays = new Counter({
    name: `${prefix}replays_detected_total`,
    help: 'Replays detected, by kind (code, jti, refresh_token, dpop).',
    labelNames: ['kind'] as const,
    registers,
  });
  const consents = new Counter({
    name: `${prefix}consents_total`,
    help: 'Consents granted and revoked, by action.',
    labelNames: ['action'] as const,
    registers,
  });
  const documents = new Counter({
    name: `${prefix}client_documents_total`,
    help: 'Client document history events (first_seen, document_changed, keys_changed).',
    labelNames: ['event'] as const,
    registers,
  });

  const observer = (event: ServerEvent): void => {
    switch (event.type) {
      case 'http.request': {
        const labels = { method: event.method, route: event.route, status: String(event.status) };
        requests.inc(labels);
        latency.observe(labels, event.durationMs / 1000);
        return;
      }
      case 'fetch.completed':
        fetches.inc({ target: event.target, outcome: event.outcome });
        return;
      case 'cache.lookup':
        cache.inc({ target: event.target, result: event.result });
        return;
      case 'fetch.budget_refused':
        budget.inc({ limit: event.limit });
        return;
      case 'token.issued':
        issued.inc({ grant_type: event.grantType });
        return;
      case 'token.refused':
        refused.inc({ error: event.error });
        return;
      case 'replay.detected':
        replays.inc({ kind: event.kind });
        return;
      case 'consent.granted':
        consents.inc({ action: 'granted' });
        return;
      case 'consent.revoked':
        consents.inc({ action: 'revoked' });
        return;
      case 'client.first_seen':
      case 'client.document_changed':
      case 'client.keys_changed':
        documents.inc({ event: event.type.slice('client.'.length) });
        return;
    }
  };

  return {
    registry,
    observer,
    response: async () =>
      new Response(await registry.metrics(), {
        headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' },
      }),
  };
}
