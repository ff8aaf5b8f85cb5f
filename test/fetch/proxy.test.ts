/**
 * The fetcher's `proxy` option against a real CONNECT proxy on loopback: the address checks
 * still run here, the tunnel is asked for the vetted address (never the name), TLS is verified
 * against the name end to end, and a refused tunnel is a clear error.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DnsResolver } from '../../src/fetch/dns.js';
import { createSafeFetcher, FetchError } from '../../src/fetch/index.js';
import { type ConnectProxy, startConnectProxy } from '../helpers/connect-proxy.js';
import { type HttpsHost, json, startHttpsHost } from '../helpers/https-host.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';

/** A public unicast address (nothing connects to it: the proxy tunnels to the local host). */
const PUBLIC_ADDRESS = '93.184.215.14';
const NAMES: Record<string, string> = {
  'docs.example.com': PUBLIC_ADDRESS,
  'rebind.example.com': '10.0.0.7',
  'other.example.com': '198.51.100.1', // TEST-NET-2: documentation, not public
};

const resolver: DnsResolver = async (hostname) => {
  const address = NAMES[hostname];
  if (address === undefined)
    throw Object.assign(new Error(`no such name ${hostname}`), { code: 'ENOTFOUND' });
  return [{ address, family: 4 }];
};

describe('the fetcher through an HTTP CONNECT proxy', () => {
  let ca: TestCa;
  let host: HttpsHost;
  let proxy: ConnectProxy;

  beforeAll(async () => {
    ca = createTestCa({ extraNames: ['docs.example.com'] });
    host = await startHttpsHost(ca);
    host.route('/client.json', json({ client_id: 'https://docs.example.com/client.json' }));
    proxy = await startConnectProxy(host.port);
  });
  beforeEach(() => {
    proxy.connects.length = 0;
    proxy.refuseWith = undefined;
  });
  afterAll(async () => {
    await proxy.close();
    await host.close();
    ca.dispose();
  });

  function fetcher(proxyUrl = proxy.url) {
    return createSafeFetcher({ proxy: proxyUrl, resolver, ca: ca.caCert, timeoutMs: 3000 });
  }

  it('tunnels to the address resolved and checked here, never the name, with TLS verified against the name', async () => {
    const safe = fetcher();
    const response = await safe.fetch('https://docs.example.com/client.json');
    await safe.close();
    expect(response.json).toEqual({ client_id: 'https://docs.example.com/client.json' });
    expect(response.remoteAddress).toBe(PUBLIC_ADDRESS);
    expect(proxy.connects).toEqual([{ authority: `${PUBLIC_ADDRESS}:443`, proxyAuthorization: undefined }]);
    expect(proxy.plainRequests).toBe(0);
  });

  it('sends the credentials of the proxy URL as Basic Proxy-Authorization', async () => {
    const withCredentials = new URL(proxy.url);
    withCredentials.username = 'svc';
    withCredentials.password = 'p@ss';
    const safe = fetcher(withCredentials.href);
    await safe.fetch('https://docs.example.com/client.json');
    await safe.close();
    expect(proxy.connects[0]?.proxyAuthorization).toBe(`Basic ${Buffer.from('svc:p@ss').toString('base64')}`);
  });

  it('CIMD-AS-22: refuses names resolving to private or special addresses before asking the proxy', async () => {
    const safe = fetcher();
    for (const url of ['https://rebind.example.com/client.json', 'https://other.example.com/client.json']) {
      const error = await safe.fetch(url).catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(FetchError);
      expect((error as FetchError).code).toBe('ERR_SSRF_BLOCKED');
    }
    await safe.close();
    expect(proxy.connects).toEqual([]);
  });

  it('CIMD-AS-22: refuses private IP literals and special-use names before asking the proxy', async () => {
    const safe = fetcher();
    for (const url of [
      'https://10.1.2.3/c.json',
      'https://[::1]/c.json',
      'https://localhost/c.json',
      'https://db.internal/c.json',
    ]) {
      const error = await safe.fetch(url).catch((reason: unknown) => reason);
      expect((error as FetchError).code, url).toBe('ERR_SSRF_BLOCKED');
    }
    await safe.close();
    expect(proxy.connects).toEqual([]);
  });

  it('does not fetch a name this machine cannot resolve (the proxy is never asked to resolve it)', async () => {
    const safe = fetcher();
    const error = await safe.fetch('https://unknown.example.com/c.json').catch((reason: unknown) => reason);
    await safe.close();
    expect((error as FetchError).code).toBe('ERR_FETCH_NETWORK');
    expect((error as FetchError).message).toMatch(/could not resolve unknown\.example\.com/);
    expect(proxy.connects).toEqual([]);
  });

  it('a refused tunnel is a clear network error naming the proxy (not its credentials)', async () => {
    proxy.refuseWith = 407;
    const withCredentials = new URL(proxy.url);
    withCredentials.username = 'svc';
    withCredentials.password = 'secret-password';
    const safe = fetcher(withCredentials.href);
    const error = await safe.fetch('https://docs.example.com/client.json').catch((reason: unknown) => reason);
    await safe.close();
    expect((error as FetchError).code).toBe('ERR_FETCH_NETWORK');
    expect((error as FetchError).message).toContain(
      `the fetch proxy ${proxy.url} refused the tunnel (HTTP 407`,
    );
    expect((error as FetchError).message).not.toContain('secret-password');
  });

  it('verifies the target certificate through the tunnel: a name the certificate does not cover fails', async () => {
    const lookup: DnsResolver = async () => [{ address: PUBLIC_ADDRESS, family: 4 }];
    const safe = createSafeFetcher({ proxy: proxy.url, resolver: lookup, ca: ca.caCert, timeoutMs: 3000 });
    const error = await safe
      .fetch('https://uncovered.example.com/client.json')
      .catch((reason: unknown) => reason);
    await safe.close();
    expect((error as FetchError).code).toBe('ERR_FETCH_NETWORK');
    expect((error as FetchError).message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
    expect(proxy.connects).toHaveLength(1);
  });

  it('refuses a proxy URL that is not a plain http(s) origin', () => {
    for (const bad of [
      'socks5://127.0.0.1:1080',
      'http://proxy.example/path',
      'not a url',
      'http://proxy.example?x=1',
    ]) {
      expect(() => createSafeFetcher({ proxy: bad }), bad).toThrow(/proxy must/);
    }
  });
});
