/**
 * Proxy settings never route around the SSRF guard: the fetcher ignores the proxy environment
 * variables and undici's global dispatcher, and always connects directly.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Agent,
  EnvHttpProxyAgent,
  getGlobalDispatcher,
  setGlobalDispatcher,
  fetch as undiciFetch,
} from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSafeFetcher, FetchError } from '../../src/fetch/index.js';
import { type HttpsHost, json, startHttpsHost } from '../helpers/https-host.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';

const PROXY_VARIABLES = [
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'ALL_PROXY',
  'https_proxy',
  'http_proxy',
  'all_proxy',
  'NO_PROXY',
  'no_proxy',
];

/** A plain HTTP "proxy" on loopback that counts every connection, request and CONNECT tunnel. */
async function startProxyCanary(): Promise<{ url: string; seen: () => number; close: () => Promise<void> }> {
  let seen = 0;
  const server: Server = createServer((_req, res) => {
    seen += 1;
    res.writeHead(502).end();
  });
  server.on('connection', () => {
    seen += 1;
  });
  server.on('connect', (_req, socket) => {
    seen += 1;
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen: () => seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('proxy environment variables', () => {
  let ca: TestCa;
  let host: HttpsHost;
  let proxy: Awaited<ReturnType<typeof startProxyCanary>>;
  const saved = new Map<string, string | undefined>();
  const savedDispatcher = getGlobalDispatcher();
  let envDispatcher: Agent | EnvHttpProxyAgent | undefined;

  beforeAll(async () => {
    ca = createTestCa();
    host = await startHttpsHost(ca);
    host.route('/c.json', json({ direct: true }));
    proxy = await startProxyCanary();
  });
  beforeEach(() => {
    for (const name of PROXY_VARIABLES) saved.set(name, process.env[name]);
    for (const name of ['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY', 'https_proxy', 'http_proxy', 'all_proxy']) {
      process.env[name] = proxy.url;
    }
    process.env.NO_PROXY = '';
    process.env.no_proxy = '';
    envDispatcher = new EnvHttpProxyAgent();
    setGlobalDispatcher(envDispatcher);
  });
  afterEach(async () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    setGlobalDispatcher(savedDispatcher);
    await envDispatcher?.close();
  });
  afterAll(async () => {
    await proxy.close();
    await host.close();
    ca.dispose();
  });

  it('control: a fetch through the global dispatcher does reach the proxy canary', async () => {
    const before = proxy.seen();
    await undiciFetch(`${host.ipOrigin}/c.json`, { signal: AbortSignal.timeout(2000) }).catch(
      () => undefined,
    );
    expect(proxy.seen()).toBeGreaterThan(before);
    expect(host.hits.get('/c.json') ?? 0).toBe(0);
  });

  it('CIMD-AS-22 still refuses localhost when HTTPS_PROXY, HTTP_PROXY and ALL_PROXY are set', async () => {
    const seenBefore = proxy.seen();
    const fetcher = createSafeFetcher({ ca: ca.caCert });
    const error = await fetcher.fetch(`${host.origin}/c.json`).catch((reason: unknown) => reason);
    await fetcher.close();
    expect(error).toBeInstanceOf(FetchError);
    expect((error as FetchError).code).toBe('ERR_SSRF_BLOCKED');
    expect(proxy.seen()).toBe(seenBefore);
    expect(host.hits.get('/c.json') ?? 0).toBe(0);
  });

  it('connects directly, never through the proxy, with allowPrivateNetwork', async () => {
    const seenBefore = proxy.seen();
    const fetcher = createSafeFetcher({ allowPrivateNetwork: true, ca: ca.caCert });
    const viaName = await fetcher.fetch(`${host.origin}/c.json`);
    const viaIp = await fetcher.fetch(`${host.ipOrigin}/c.json`);
    await fetcher.close();
    expect(viaName.json).toEqual({ direct: true });
    expect(viaIp.json).toEqual({ direct: true });
    expect(proxy.seen()).toBe(seenBefore);
    expect(host.hits.get('/c.json')).toBe(2);
  });
});
