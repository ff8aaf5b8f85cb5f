/**
 * The registry's routing (URL client_id → CIMD, anything else → the store), registered clients,
 * the http loopback development opt-in, lifecycle and option validation.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/errors.js';
import { createSafeFetcher } from '../../../src/fetch/index.js';
import { hasClientChanged } from '../../../src/server/clients/fingerprint.js';
import { toOAuthError } from '../../../src/server/oauth-errors.js';
import { createClock, documentFor, type Harness, refusal, startHarness } from './fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('registered clients (not a URL)', () => {
  it('come from store.getClient, with provenance "registered"', async () => {
    const clock = createClock();
    const store = h.store(clock);
    await store.saveClient({
      clientId: 'dcr_abc',
      metadata: {
        client_name: 'Old CLI',
        redirect_uris: ['http://127.0.0.1/cb'],
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        token_endpoint_auth_method: 'none',
      },
      createdAt: clock.now(),
    });
    const registry = h.registry({ store, now: clock.now });
    const client = await registry.resolveClient('dcr_abc');
    expect(client).toMatchObject({
      clientId: 'dcr_abc',
      authMethod: 'none',
      redirectUris: ['http://127.0.0.1/cb'],
      grantTypes: ['authorization_code', 'refresh_token'],
      provenance: { source: 'registered' },
      trust: { allowed: true, trusted: false, reason: 'a registered client' },
    });
    expect(client.metadata.client_id).toBe('dcr_abc');
    expect(client.fingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hasClientChanged(client.fingerprint, client)).toBe(false);
  });

  it('an unknown id is ERR_CLIENT_NOT_FOUND (invalid_client)', async () => {
    const registry = h.registry({ store: h.store(createClock()) });
    const error = await refusal(registry.resolveClient('nope'), 'ERR_CLIENT_NOT_FOUND');
    expect(toOAuthError(error).error).toBe('invalid_client');
    await refusal(h.registry().resolveClient('nope'), 'ERR_CLIENT_NOT_FOUND');
    await refusal(h.registry().resolveClient(''), 'ERR_CLIENT_NOT_FOUND');
  });

  it('a registered client with a shared-secret method cannot be used', async () => {
    const clock = createClock();
    const store = h.store(clock);
    await store.saveClient({
      clientId: 'dcr_secret',
      metadata: {
        redirect_uris: ['https://app.example.com/cb'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      createdAt: clock.now(),
    });
    const error = await refusal(h.registry({ store }).resolveClient('dcr_secret'), 'ERR_CLIENT_NOT_FOUND');
    expect(error.message).toContain('client_secret_basic');
  });

  it('a deny entry naming a registered id refuses it', async () => {
    const clock = createClock();
    const store = h.store(clock);
    await store.saveClient({
      clientId: 'dcr_x',
      metadata: { redirect_uris: ['http://127.0.0.1/cb'] },
      createdAt: 0,
    });
    const registry = h.registry({ store, trustPolicy: { deny: ['dcr_x'] } });
    await refusal(registry.resolveClient('dcr_x'), 'ERR_CIMD_POLICY_DENIED');
  });
});

describe('CIMD-URL-01: http client_ids', () => {
  it('without the opt-in an http URL is not CIMD: nothing is fetched, ERR_CLIENT_NOT_FOUND', async () => {
    const error = await refusal(
      h.registry().resolveClient('http://127.0.0.1:9/c.json'),
      'ERR_CLIENT_NOT_FOUND',
    );
    expect(error.message).toContain('must use https');
  });

  describe('with dangerouslyAllowHttpClientIds (development, loopback only)', () => {
    let server: Server;
    let port: number;
    let hits = 0;
    let body: (url: string) => unknown = documentFor;
    beforeAll(async () => {
      server = createServer((req, res) => {
        hits += 1;
        const url = `http://localhost:${port}${req.url}`;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body(url)));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('an http://localhost document is fetched over http from loopback and accepted', async () => {
      body = documentFor;
      const registry = h.registry({ dangerouslyAllowHttpClientIds: true, allowPrivateNetwork: false });
      const clientId = `http://localhost:${port}/dev/client.json`;
      const client = await registry.resolveClient(clientId);
      expect(client.clientId).toBe(clientId);
      expect(hits).toBe(1);
    });

    it('the document must still name the same client_id', async () => {
      body = (url) => documentFor(url.replace('localhost', '127.0.0.1'));
      const registry = h.registry({ dangerouslyAllowHttpClientIds: true });
      await refusal(
        registry.resolveClient(`http://localhost:${port}/dev/other.json`),
        'ERR_CIMD_CLIENT_ID_MISMATCH',
      );
    });

    it('an http URL that is not loopback is refused without a fetch', async () => {
      const before = hits;
      const registry = h.registry({ dangerouslyAllowHttpClientIds: true });
      await refusal(registry.resolveClient('http://app.example.com/c.json'), 'ERR_CIMD_INVALID_CLIENT_ID');
      await refusal(registry.resolveClient('http://LOCALHOST/c.json'), 'ERR_CIMD_INVALID_CLIENT_ID');
      expect(hits).toBe(before);
    });
  });
});

describe('lifecycle', () => {
  it('close makes later resolutions fail; closing twice is safe', async () => {
    const registry = h.registry();
    await registry.close();
    await registry.close();
    await refusal(registry.resolveClient('https://app.example.com/c.json'), 'ERR_CIMD_FETCH');
  });

  it('an injected fetcher is used and not closed', async () => {
    const fetcher = createSafeFetcher({ allowPrivateNetwork: true, ca: h.ca.caCert });
    const registry = h.registry({ fetcher });
    const path = h.path();
    h.serve(path, documentFor(h.url(path)));
    await registry.resolveClient(h.url(path));
    await registry.close();
    const second = h.path();
    h.serve(second, documentFor(h.url(second)));
    await expect(fetcher.fetch(h.url(second))).resolves.toMatchObject({ status: 200 });
    await fetcher.close();
  });

  it('store errors are reported and the shared tier is skipped', async () => {
    const clock = createClock();
    const store = h.store(clock);
    const seen: string[] = [];
    const failing = {
      ...store,
      getClient: store.getClient.bind(store),
      cacheGet: async () => {
        throw new Error('redis down');
      },
      cacheSet: async () => {
        throw new Error('redis down');
      },
      cacheDelete: store.cacheDelete.bind(store),
    };
    const registry = h.registry({ store: failing, onStoreError: (_e, operation) => seen.push(operation) });
    const path = h.path();
    h.serve(path, documentFor(h.url(path)));
    await registry.resolveClient(h.url(path));
    // The look before claiming the fetch and the look after the claim, then the store of the result.
    expect(seen).toEqual(['cacheGet', 'cacheGet', 'cacheSet']);
  });
});

describe('option validation (InvalidOptionError, at creation)', () => {
  it.each([
    [{ missingAuthMethod: 'maybe' }, /missingAuthMethod/],
    [{ cacheBounds: { minTtlMs: 10, maxTtlMs: 5 } }, /maxTtlMs/],
    [{ cacheBounds: { minTtlMs: -1 } }, /minTtlMs/],
    [{ cache: { maxEntries: 0 } }, /maxEntries/],
    [{ cache: { maxBytes: 100 } }, /maxBytes/],
    [{ cache: { shared: 'yes' } }, /shared/],
    [{ allowPrivateNetwork: 'yes' }, /allowPrivateNetwork/],
    [{ dangerouslyAllowHttpClientIds: 1 }, /dangerouslyAllowHttpClientIds/],
    [{ store: {} }, /store/],
    [{ now: 5 }, /now/],
    [{ fetcher: {} }, /fetcher/],
    [{ trustPolicy: { mode: 'strict' } }, /mode/],
  ])('%j', (options, message) => {
    const create = () => h.registry(options as never);
    expect(create).toThrow(InvalidOptionError);
    expect(create).toThrow(message);
  });

  it('fetcher and fetchOptions together are refused', async () => {
    const fetcher = createSafeFetcher();
    const { createClientRegistry } = await import('../../../src/server/clients/registry.js');
    expect(() => createClientRegistry({ fetcher, fetchOptions: { timeoutMs: 1000 } })).toThrow(
      /either fetcher/,
    );
    await fetcher.close();
  });
});
