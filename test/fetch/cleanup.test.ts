/** Every path through the fetcher releases its timers and sockets. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSafeFetcher } from '../../src/fetch/index.js';
import { json, startHttpsHost } from '../helpers/https-host.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';

/** Live timers and sockets of this process, by kind. */
function liveHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (/Timeout|TCP|TLS|Pipe/i.test(kind)) counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

let ca: TestCa;
beforeAll(() => {
  ca = createTestCa();
});
afterAll(() => ca.dispose());

it('leaves no timers or sockets behind after success, refusals, errors and timeouts', async () => {
  const before = liveHandles();
  const host = await startHttpsHost(ca);
  host.route('/ok.json', json({ ok: true }));
  host.route('/redirect.json', (_req, res) => {
    res.writeHead(302, { location: '/ok.json' }).end();
  });
  host.route('/large.json', json('x'.repeat(10_000)));
  host.route('/bad.json', json('{'));
  host.route('/silent.json', () => {});
  host.route('/trickle.json', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const timer = setInterval(() => res.write(' '), 50);
    res.on('close', () => clearInterval(timer));
  });
  // Long deadlines where the fetch ends on its own: a timer left running would still be live below.
  const fetcher = createSafeFetcher({ allowPrivateNetwork: true, ca: ca.caCert, timeoutMs: 10_000 });
  const quick = createSafeFetcher({ allowPrivateNetwork: true, ca: ca.caCert, timeoutMs: 300 });
  const strict = createSafeFetcher({
    ca: ca.caCert,
    timeoutMs: 10_000,
    resolver: async () => [{ address: '10.0.0.1', family: 4 }],
  });
  const results = await Promise.allSettled([
    fetcher.fetch(`${host.ipOrigin}/ok.json`),
    fetcher.fetch(`${host.ipOrigin}/redirect.json`),
    fetcher.fetch(`${host.ipOrigin}/large.json`),
    fetcher.fetch(`${host.ipOrigin}/bad.json`),
    quick.fetch(`${host.ipOrigin}/silent.json`),
    quick.fetch(`${host.ipOrigin}/trickle.json`),
    fetcher.fetch(`${host.origin}/ok.json`, { signal: AbortSignal.abort() }),
    strict.fetch('https://docs.cimd-example.dev/c.json'),
  ]);
  expect(results.map((result) => result.status)).toEqual([
    'fulfilled',
    'rejected',
    'rejected',
    'rejected',
    'rejected',
    'rejected',
    'rejected',
    'rejected',
  ]);
  await Promise.all([fetcher.close(), quick.close(), strict.close()]);
  await host.close();
  await expect.poll(liveHandles, { timeout: 1000 }).toEqual(before);
});
