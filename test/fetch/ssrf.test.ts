/**
 * The SSRF guard (CIMD-AS-22, CIMD-AS-23): refusals before connecting, at the connection's own
 * lookup, and on the connected socket. Every test talks to loopback only: "public" answers from
 * the injected resolvers are never connected to.
 */
import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { buildConnector } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGuardedLookup, guardConnectedSocket } from '../../src/fetch/connector.js';
import { BlockedAddressError } from '../../src/fetch/errors.js';
import {
  createSafeFetcher,
  type DnsResolver,
  FetchError,
  type ResolvedAddress,
  type SafeFetcher,
} from '../../src/fetch/index.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';

/** A public-looking name; every test injects what it resolves to. */
const NAME = 'docs.cimd-example.dev';
/** A public address the resolvers may answer first; never connected to. */
const PUBLIC_ANSWER: ResolvedAddress = { address: '93.184.215.14', family: 4 };

/** An HTTPS listener on 127.0.0.1 that counts TCP connections and HTTP requests. */
interface Canary {
  port: number;
  connections: number;
  requests: number;
  close(): Promise<void>;
}

async function startCanary(ca: TestCa): Promise<Canary> {
  const server: Server = createServer({ cert: ca.cert, key: ca.key }, (_req, res) => {
    canary.requests += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"canary":true}');
  });
  server.on('connection', () => {
    canary.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const canary: Canary = {
    port: (server.address() as AddressInfo).port,
    connections: 0,
    requests: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return canary;
}

function answer(...addresses: string[]): ResolvedAddress[] {
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
}

async function rejection(promise: Promise<unknown>): Promise<FetchError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the fetch to fail');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(FetchError);
  return error as FetchError;
}

describe('SSRF guard', () => {
  let ca: TestCa;
  let canary: Canary;
  const fetchers: SafeFetcher[] = [];

  function fetcher(resolver?: DnsResolver): SafeFetcher {
    const created = createSafeFetcher({ ca: ca.caCert, timeoutMs: 2000, ...(resolver ? { resolver } : {}) });
    fetchers.push(created);
    return created;
  }

  beforeAll(async () => {
    ca = createTestCa();
    canary = await startCanary(ca);
  });
  afterEach(async () => {
    await Promise.all(fetchers.splice(0).map((created) => created.close()));
    expect(canary.requests).toBe(0);
  });
  afterAll(async () => {
    await canary.close();
    ca.dispose();
  });

  describe('CIMD-AS-22 refuses hosts that name loopback, in every spelling, without connecting', () => {
    it.each([
      'https://127.0.0.1:PORT/c.json',
      'https://localhost:PORT/c.json',
      'https://LOCALHOST.:PORT/c.json',
      'https://app.localhost:PORT/c.json',
      'https://[::1]:PORT/c.json',
      'https://2130706433:PORT/c.json',
      'https://0x7f000001:PORT/c.json',
      'https://0177.0.0.1:PORT/c.json',
      'https://0x7f.1:PORT/c.json',
      'https://127.1:PORT/c.json',
      'https://[::ffff:7f00:1]:PORT/c.json',
      'https://[::ffff:127.0.0.1]:PORT/c.json',
      'https://0.0.0.0:PORT/c.json',
    ])('%s', async (template) => {
      const resolver = vi.fn<DnsResolver>(async () => answer('127.0.0.1'));
      const error = await rejection(fetcher(resolver).fetch(template.replace('PORT', String(canary.port))));
      expect(error.code).toBe('ERR_SSRF_BLOCKED');
      expect(error.message).toMatch(/non-public|not a public|loopback/);
      expect(resolver).not.toHaveBeenCalled();
      expect(canary.connections).toBe(0);
    });
  });

  it.each([
    'https://intranet/c.json',
    'https://metadata.google.internal/computeMetadata/v1/',
    'https://printer.local/c.json',
    'https://cimd.example/c.json',
    'https://nas.home.arpa/c.json',
    'https://x.test/c.json',
    'https://x.invalid/c.json',
  ])('refuses the non-public name in %s before any lookup', async (url) => {
    const resolver = vi.fn<DnsResolver>(async () => [PUBLIC_ANSWER]);
    const error = await rejection(fetcher(resolver).fetch(url));
    expect(error.code).toBe('ERR_SSRF_BLOCKED');
    expect(error.message).toContain('is not a public host');
    expect(resolver).not.toHaveBeenCalled();
  });

  describe('CIMD-AS-22 / CIMD-AS-23 refuses a name resolving to a special-purpose address, before connecting', () => {
    it.each([
      ['127.0.0.1', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['192.168.1.1', 'private'],
      ['192.168.0.10', 'private'],
      ['169.254.169.254', 'linkLocal'],
      ['100.64.0.1', 'carrierGradeNat'],
      ['0.0.0.0', 'unspecified'],
      ['192.0.0.1', 'ietfProtocolAssignment'],
      ['198.18.0.1', 'benchmarking'],
      ['224.0.0.1', 'multicast'],
      ['240.0.0.1', 'reserved'],
      ['255.255.255.255', 'broadcast'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fe80::1', 'linkLocal'],
      ['fd00::1', 'uniqueLocal'],
      ['::ffff:10.0.0.1', 'private'],
      ['64:ff9b::a00:1', 'rfc6052'],
      ['64:ff9b:1::1', 'rfc6052'],
      ['2002:7f00:1::1', '6to4'],
      ['2001::1', 'teredo'],
      ['2001:db8::1', 'documentation'],
      ['ff02::1', 'multicast'],
      ['100::1', 'discard'],
    ])('%s (%s)', async (address, range) => {
      const resolver = vi.fn<DnsResolver>(async () => answer(address));
      const url = `https://${NAME}:${canary.port}/c.json`;
      const error = await rejection(fetcher(resolver).fetch(url));
      expect(error.code).toBe('ERR_SSRF_BLOCKED');
      expect(error.url).toBe(url);
      expect(error.message).toContain(`${NAME} resolves to a non-public address (${range})`);
      expect(error.message).not.toContain(` ${address}`);
      expect(error.message).not.toContain(`(${address}`);
      expect(resolver).toHaveBeenCalledTimes(1);
      expect(resolver).toHaveBeenCalledWith(NAME, { signal: expect.any(AbortSignal) });
      expect(canary.connections).toBe(0);
    });
  });

  it('CIMD-AS-22 refuses a name when any one of its addresses is special-purpose', async () => {
    for (const addresses of [answer('93.184.215.14', '127.0.0.1'), answer('2606:4700::1', 'fd00::1')]) {
      const error = await rejection(
        fetcher(async () => addresses).fetch(`https://${NAME}:${canary.port}/c.json`),
      );
      expect(error.code).toBe('ERR_SSRF_BLOCKED');
    }
    expect(canary.connections).toBe(0);
  });

  it('CIMD-AS-22 never connects when DNS rebinds to loopback after the first answer', async () => {
    let lookups = 0;
    const resolver = vi.fn<DnsResolver>(async () => {
      lookups += 1;
      return lookups === 1 ? [PUBLIC_ANSWER] : answer('127.0.0.1');
    });
    const error = await rejection(fetcher(resolver).fetch(`https://${NAME}:${canary.port}/c.json`));
    expect(error.code).toBe('ERR_SSRF_BLOCKED');
    expect(error.message).toContain(`${NAME} resolves to a non-public address (loopback)`);
    // Once before connecting, once in the connection's own lookup, which refused.
    expect(resolver).toHaveBeenCalledTimes(2);
    expect(canary.connections).toBe(0);
  });

  it('reports a name that does not resolve as a network error', async () => {
    const notFound = Object.assign(new Error(`getaddrinfo ENOTFOUND ${NAME}`), { code: 'ENOTFOUND' });
    for (const resolver of [
      async () => {
        throw notFound;
      },
      async () => [],
    ] satisfies DnsResolver[]) {
      const error = await rejection(fetcher(resolver).fetch(`https://${NAME}/c.json`));
      expect(error.code).toBe('ERR_FETCH_NETWORK');
      expect(error.message).toContain(`could not resolve ${NAME} (ENOTFOUND)`);
    }
  });

  it('allowPrivateNetwork lifts the address rules (the connection then reaches loopback)', async () => {
    const lenient = createSafeFetcher({
      allowPrivateNetwork: true,
      ca: ca.caCert,
      resolver: async () => answer('127.0.0.1'),
    });
    fetchers.push(lenient);
    // The test certificate covers localhost, not this name: TLS fails after connecting.
    const error = await rejection(lenient.fetch(`https://${NAME}:${canary.port}/c.json`));
    expect(error.code).toBe('ERR_FETCH_NETWORK');
    expect(error.message).toContain(`does not cover ${NAME}`);
    expect(canary.connections).toBeGreaterThan(0);
    canary.connections = 0;
  });
});

describe('guardConnectedSocket (the post-connect peer check)', () => {
  let ca: TestCa;
  let canary: Canary;

  beforeAll(async () => {
    ca = createTestCa();
    canary = await startCanary(ca);
  });
  afterAll(async () => {
    await canary.close();
    ca.dispose();
  });

  function connectWith(
    allowPrivateNetwork: boolean,
  ): Promise<{ error: Error | null; socket: Socket | null }> {
    const connector = guardConnectedSocket(buildConnector({ ca: [ca.caCert] }), allowPrivateNetwork);
    return new Promise((resolve) => {
      connector(
        {
          hostname: '127.0.0.1',
          host: `127.0.0.1:${canary.port}`,
          protocol: 'https:',
          port: String(canary.port),
          servername: 'localhost',
        },
        (error, socket) => resolve({ error, socket }),
      );
    });
  }

  it('destroys a connection whose peer is loopback before any request is written', async () => {
    const { error, socket } = await connectWith(false);
    expect(socket).toBeNull();
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(error).toMatchObject({ code: 'ERR_SSRF_BLOCKED', range: 'loopback', phase: 'connect' });
    expect(canary.requests).toBe(0);
  });

  it('passes the connection through with allowPrivateNetwork', async () => {
    const { error, socket } = await connectWith(true);
    expect(error).toBeNull();
    expect(socket?.remoteAddress).toBe('127.0.0.1');
    socket?.destroy();
  });
});

describe('createGuardedLookup (the connection-time lookup)', () => {
  function lookup(
    resolved: ResolvedAddress[],
    options: { all?: boolean; family?: number },
    allowPrivateNetwork = false,
  ): Promise<{ error: Error | null; address: string | LookupAddress[]; family: number | undefined }> {
    const guarded = createGuardedLookup(async () => resolved, allowPrivateNetwork);
    return new Promise((resolve) => {
      guarded(NAME, options, (error, address, family) => resolve({ error, address, family }));
    });
  }

  it('answers every vetted address, or the first one, filtered by family', async () => {
    const resolved = answer('93.184.215.14', '2606:4700::1');
    expect((await lookup(resolved, { all: true })).address).toEqual([
      { address: '93.184.215.14', family: 4 },
      { address: '2606:4700::1', family: 6 },
    ]);
    expect(await lookup(resolved, {})).toMatchObject({ error: null, address: '93.184.215.14', family: 4 });
    expect(await lookup(resolved, { family: 6 })).toMatchObject({ address: '2606:4700::1', family: 6 });
  });

  it('fails with BlockedAddressError when any address is special-purpose', async () => {
    const { error } = await lookup(answer('93.184.215.14', '10.0.0.1'), { all: true });
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(error).toMatchObject({ range: 'private', phase: 'lookup' });
  });

  it('answers private addresses with allowPrivateNetwork', async () => {
    const { error, address } = await lookup(answer('127.0.0.1'), { all: true }, true);
    expect(error).toBeNull();
    expect(address).toEqual([{ address: '127.0.0.1', family: 4 }]);
  });
});
