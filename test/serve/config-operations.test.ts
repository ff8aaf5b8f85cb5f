/**
 * The operations options of `cimd serve`: `--metrics-port` / `--metrics-host`, `--shutdown-timeout`
 * and `--audit` (flags, environment, config file), their defaults, and bad values refused with
 * a message saying what is accepted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configLoader } from './load-config.js';

const RESOURCE = 'http://127.0.0.1:4001/mcp';
const dir = mkdtempSync(join(tmpdir(), 'cimd-config-ops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { load, problem, writeConfig } = configLoader(dir);

describe('cimd serve operations options', () => {
  it('default to no metrics listener, a 10 s shutdown and no audit', async () => {
    const config = await load(['--resource', RESOURCE]);
    expect(config.metrics).toBeUndefined();
    expect(config.shutdownTimeoutSeconds).toBe(10);
    expect(config.audit).toEqual({ kind: 'off' });
  });

  it('take flags, the environment and the config file', async () => {
    expect(
      await load([
        '--resource',
        RESOURCE,
        '--metrics-port',
        '9464',
        '--audit',
        'stdout',
        '--shutdown-timeout',
        '0',
      ]),
    ).toMatchObject({
      metrics: { host: '127.0.0.1', port: 9464 },
      audit: { kind: 'stdout' },
      shutdownTimeoutSeconds: 0,
    });
    const env = { CIMD_METRICS_PORT: '0', CIMD_METRICS_HOST: '::1', CIMD_AUDIT: 'file:logs/audit.jsonl' };
    expect(await load(['--resource', RESOURCE], env)).toMatchObject({
      metrics: { host: '::1', port: 0 },
      audit: { kind: 'file', path: join(dir, 'logs/audit.jsonl') },
    });
    const file = writeConfig('ops.json', {
      resources: [RESOURCE],
      metricsPort: 9100,
      audit: 'off',
      shutdownTimeout: 30,
    });
    expect(await load(['--config', file])).toMatchObject({
      metrics: { port: 9100 },
      audit: { kind: 'off' },
      shutdownTimeoutSeconds: 30,
    });
  });

  it('refuse bad values, saying what is accepted', async () => {
    expect(await problem(['--resource', RESOURCE, '--audit', 'syslog'])).toMatch(
      /--audit.*expected stdout, file:<path> or off; got "syslog"/,
    );
    expect(await problem(['--resource', RESOURCE, '--audit', 'file:'])).toMatch(/--audit/);
    expect(await problem(['--resource', RESOURCE, '--metrics-port', '70000'])).toMatch(
      /--metrics-port.*from 0 to 65535/,
    );
    expect(await problem(['--resource', RESOURCE, '--shutdown-timeout', '-1'])).toMatch(/--shutdown-timeout/);
  });
});
