/**
 * Prometheus metrics of an in-process authorization server (createPrometheusMetrics as an
 * observer): request counts by route pattern (never raw paths), tokens issued by grant type,
 * refusals by error code, replays by kind, document fetches and cache lookups, each on a
 * registry of its own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register as globalRegistry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusMetrics, type PrometheusMetrics } from '../../../src/server/metrics/index.js';
import {
  type CimdHost,
  codeParams,
  createTestServer,
  expectOAuthError,
  expectTokens,
  publicClient,
  startCimdHost,
  type TestServer,
} from '../token/harness.js';

let host: CimdHost;
let t: TestServer;
let metrics: PrometheusMetrics;

beforeAll(async () => {
  host = await startCimdHost();
});
afterAll(async () => {
  await host.close();
});
afterEach(async () => {
  await t?.close();
});

/** The value of the sample `name{labels}` in the exposition, 0 when absent. */
async function sample(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  const found = metric?.values.find(
    (value) =>
      Object.entries(labels).every(([label, expected]) => String(value.labels[label]) === expected) &&
      (value as { metricName?: string }).metricName === undefined,
  );
  return found?.value ?? 0;
}

async function start(): Promise<void> {
  metrics = createPrometheusMetrics();
  t = await createTestServer(host, { observers: [metrics.observer] });
}

describe('Prometheus metrics of an in-process server', () => {
  it('counts requests by route pattern and status, never by raw path', async () => {
    await start();
    const before = await sample('cimd_http_requests_total', {
      method: 'GET',
      route: '/health',
      status: '200',
    });
    for (let i = 0; i < 3; i += 1) await t.server.fetch(new Request('http://127.0.0.1:4000/health'));
    await t.server.fetch(new Request('http://127.0.0.1:4000/no/such/path-a1b2c3'));
    await t.server.fetch(new Request('http://127.0.0.1:4000/logo/some-raw-id-d4e5f6'));
    expect(await sample('cimd_http_requests_total', { method: 'GET', route: '/health', status: '200' })).toBe(
      before + 3,
    );
    expect(
      await sample('cimd_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }),
    ).toBeGreaterThanOrEqual(1);
    const text = await (await metrics.response()).text();
    expect(text).toContain('cimd_http_request_duration_seconds_bucket');
    expect(text).not.toContain('path-a1b2c3');
    expect(text).not.toContain('some-raw-id-d4e5f6');
    const patterns = new Set(['unmatched', ...t.server.app.routes.map((route) => route.path)]);
    const routes = [...text.matchAll(/route="([^"]*)"/g)].map((match) => match[1]);
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) expect(patterns).toContain(route);
  });

  it('counts tokens issued by grant type, refusals by error code, and a replayed code', async () => {
    await start();
    const client = publicClient(host);
    const issued = await t.issueCode(client.clientId);
    await expectTokens(await t.token(codeParams(client.clientId, issued)));
    expect(await sample('cimd_tokens_issued_total', { grant_type: 'authorization_code' })).toBe(1);
    expect(await sample('cimd_client_fetches_total', { target: 'document', outcome: 'success' })).toBe(1);
    expect(
      await sample('cimd_client_cache_lookups_total', { target: 'document', result: 'hit' }),
    ).toBeGreaterThan(0);

    await expectOAuthError(await t.token(codeParams(client.clientId, issued)), 'invalid_grant');
    expect(await sample('cimd_tokens_refused_total', { error: 'invalid_grant' })).toBe(1);
    expect(await sample('cimd_replays_detected_total', { kind: 'code' })).toBe(1);

    await expectOAuthError(
      await t.token({ grant_type: 'password', username: 'a', password: 'b' }),
      'unsupported_grant_type',
    );
    expect(await sample('cimd_tokens_refused_total', { error: 'unsupported_grant_type' })).toBe(1);
    expect(await sample('cimd_tokens_refused_total', { error: 'invalid_grant' })).toBe(1);
  });

  it('counts document fetches refused by the per-origin budget, by limit', async () => {
    metrics = createPrometheusMetrics();
    t = await createTestServer(host, {
      observers: [metrics.observer],
      clients: {
        allowPrivateNetwork: true,
        fetchOptions: { ca: host.ca.caCert },
        fetchBudget: { requestsPerMinute: 1 },
      },
    });
    await t.server.context.registry.resolveClient(publicClient(host).clientId);
    await expect(t.server.context.registry.resolveClient(publicClient(host).clientId)).rejects.toMatchObject({
      code: 'ERR_CIMD_FETCH_BUDGET',
    });
    expect(await sample('cimd_fetch_budget_refusals_total', { limit: 'rate' })).toBe(1);
    expect(await sample('cimd_client_cache_lookups_total', { target: 'document', result: 'miss' })).toBe(2);
  });

  it('keeps each server on its own registry, never the global one', async () => {
    await start();
    const other = createPrometheusMetrics();
    await t.server.fetch(new Request('http://127.0.0.1:4000/health'));
    expect(await sample('cimd_http_requests_total', { method: 'GET', route: '/health', status: '200' })).toBe(
      1,
    );
    expect(await other.registry.getSingleMetric('cimd_http_requests_total')?.get()).toMatchObject({
      values: [],
    });
    expect(globalRegistry.getSingleMetric('cimd_http_requests_total')).toBeUndefined();
  });
});

describe('prom-client stays out of the server library', () => {
  it('only src/server/metrics imports it, and the package exports it as mcp-cimd/server/metrics', () => {
    const root = fileURLToPath(new URL('../../../src/server/', import.meta.url));
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory()
          ? files(join(dir, entry.name))
          : entry.name.endsWith('.ts')
            ? [join(dir, entry.name)]
            : [],
      );
    const importers = files(root)
      .filter((file) => /from 'prom-client'/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file));
    expect(importers).toEqual(['metrics/prometheus.ts']);
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    expect(pkg.exports['./server/metrics']).toEqual({
      types: './dist/server/metrics/index.d.ts',
      default: './dist/server/metrics/index.js',
    });
  });
});
