/**
 * `mcp-cimd/server/metrics`: Prometheus metrics for the authorization server (needs `prom-client`).
 *
 * @module
 */
export {
  createPrometheusMetrics,
  type PrometheusMetrics,
  type PrometheusMetricsOptions,
} from './prometheus.js';
