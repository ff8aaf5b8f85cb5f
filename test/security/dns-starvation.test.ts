/**
 * Issue 9, flaw 6 through the real fetcher: `client_id`s on a zone whose name server never
 * answers must cost only their own requests. Name resolution goes to a DNS responder on
 * 127.0.0.1 that the test controls (never the machine's resolver); documents come from a real
 * HTTPS host on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsResolver } from '../../src/fetch/dns.js';
import { FetchError } from '../../src/fetch/errors.js';
import { createSafeFetcher } from '../../src/fetch/safe-fetch.js';
import type { SafeFetcher } from '../../src/fetch/types.js';
import { type DnsResponder, startDnsResponder } from '../fetch/dns-responder.js';
import { type HttpsHost, json, startHttpsHost } from '../helpers/https-host.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';

let dns: DnsResponder;
let ca: TestCa;
let host: HttpsHost;
const fetchers: SafeFetcher[] = [];

beforeAll(async () => {
  dns = await startDnsResponder();
  dns.answer('good.example', '93.184.215.14');
  ca = createTestCa();
  host = await startHttpsHost(ca);
  host.route('/client.json', json({ client_id: `${host.origin}/client.json` }));
});
afterAll(async () => {
  await Promise.all(fetchers.map((fetcher) => fetcher.close()));
  await host.close();
  ca.dispose();
  await dns.close();
});

function fetcher(options: Parameters<typeof createSafeFetcher>[0]): SafeFetcher {
  const created = createSafeFetcher(options);
  fetchers.push(created);
  return created;
}

let counter = 0;
/** `count` stalled names on a fresh zone (public-looking: the fetcher refuses special-use names before any lookup). */
function stalledNames(count: number): string[] {
  counter += 1;
  return Array.from({ length: count }, (_, i) => {
    const name = `c${i}.zone${counter}.stalled-dns.net`;
    dns.stall(name);
    return name;
  });
}

/** Rejections of `promises` as FetchError codes (or 'resolved'), each marked settled when it is. */
function watch(promises: Promise<unknown>[]): { settled: () => number; codes: Promise<string[]> } {
  let settled = 0;
  const codes = Promise.all(
    promises.map((promise) =>
      promise
        .then(
          () => 'resolved',
          (error: unknown) => (error instanceof FetchError ? error.code : String(error)),
        )
        .finally(() => {
          settled += 1;
        }),
    ),
  );
  return { settled: () => settled, codes };
}

describe('issue 9 flaw 6: a few stalled DNS names starve everyone', () => {
  it('eight client_ids on a stalled zone: the loopback host and other names keep resolving and fetching', async () => {
    const resolver = createDnsResolver({ servers: [dns.server], hostsFile: false, timeoutMs: 5_000 });
    const stalledFetcher = fetcher({ resolver, timeoutMs: 1_500 });
    const localFetcher = fetcher({ resolver, allowPrivateNetwork: true, ca: ca.caCert, timeoutMs: 1_500 });
    const names = stalledNames(8);
    const stalled = watch(names.map((name) => stalledFetcher.fetch(`https://${name}/client.json`)));
    for (let i = 0; i < 10; i += 1) {
      const response = await localFetcher.fetch(`${host.origin}/client.json`);
      expect(response.status).toBe(200);
      expect(await resolver('good.example')).toEqual([{ address: '93.184.215.14', family: 4 }]);
    }
    expect(stalled.settled()).toBe(0);
    // Each stalled fetch ends at its own deadline, as a timeout.
    expect(await stalled.codes).toEqual(Array(8).fill('ERR_FETCH_TIMEOUT'));
    expect(names.every((name) => dns.queriesFor(name) > 0)).toBe(true);
  });

  it("a stalled lookup gives its slot back at the fetch's deadline, not at the lookup's own", async () => {
    // Eight slots, all taken by stalled names whose own lookup deadline is a minute away.
    const resolver = createDnsResolver({
      servers: [dns.server],
      hostsFile: false,
      timeoutMs: 60_000,
      maxConcurrent: 8,
    });
    const stalledFetcher = fetcher({ resolver, timeoutMs: 300 });
    const stalled = watch(stalledNames(8).map((name) => stalledFetcher.fetch(`https://${name}/client.json`)));
    expect(await stalled.codes).toEqual(Array(8).fill('ERR_FETCH_TIMEOUT'));
    // Had the lookups kept their slots, this would wait for the minute (and the test time out).
    expect(await resolver('good.example')).toEqual([{ address: '93.184.215.14', family: 4 }]);
  });
});
