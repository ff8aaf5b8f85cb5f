/**
 * Registered clients' records are reused for a short time: a replaced record is in use within
 * registeredClientTtlMs, an absent client is never remembered, and 0 reads the store every time.
 */
import { describe, expect, it } from 'vitest';
import { createClientRegistry } from '../../../src/server/clients/registry.js';
import { createMemoryStore } from '../../../src/store/index.js';
import type { RegisteredClientRecord, Store } from '../../../src/store/store.js';
import { createClock } from './fixtures.js';

function record(name: string): RegisteredClientRecord {
  return {
    clientId: 'dcr_records',
    metadata: {
      client_name: name,
      redirect_uris: ['http://127.0.0.1/cb'],
      token_endpoint_auth_method: 'none',
    },
    createdAt: 0,
  };
}

/** `store`, counting its getClient calls. */
function counting(store: Store): { store: Store; reads: () => number } {
  let reads = 0;
  return {
    store: new Proxy(store, {
      get(target, name, receiver) {
        if (name !== 'getClient') return Reflect.get(target, name, receiver);
        return (clientId: string) => {
          reads++;
          return target.getClient(clientId);
        };
      },
    }),
    reads: () => reads,
  };
}

describe('registered client records', () => {
  it('are reused for registeredClientTtlMs (default 1 s), then read again', async () => {
    const clock = createClock();
    const { store, reads } = counting(createMemoryStore({ now: clock.now }));
    const registry = createClientRegistry({ store, now: clock.now });
    await store.saveClient(record('First'));
    expect((await registry.resolveClient('dcr_records')).metadata.client_name).toBe('First');
    await store.saveClient(record('Second'));
    expect((await registry.resolveClient('dcr_records')).metadata.client_name).toBe('First');
    expect(reads()).toBe(1);
    clock.advance(1_001);
    expect((await registry.resolveClient('dcr_records')).metadata.client_name).toBe('Second');
    expect(reads()).toBe(2);
  });

  it('an absent client is not remembered: registered a moment later, it is found at once', async () => {
    const clock = createClock();
    const store = createMemoryStore({ now: clock.now });
    const registry = createClientRegistry({ store, now: clock.now });
    await expect(registry.resolveClient('dcr_records')).rejects.toMatchObject({
      code: 'ERR_CLIENT_NOT_FOUND',
    });
    await store.saveClient(record('New'));
    expect((await registry.resolveClient('dcr_records')).metadata.client_name).toBe('New');
  });

  it('registeredClientTtlMs: 0 reads the store on every resolution', async () => {
    const clock = createClock();
    const { store, reads } = counting(createMemoryStore({ now: clock.now }));
    const registry = createClientRegistry({ store, now: clock.now, registeredClientTtlMs: 0 });
    await store.saveClient(record('First'));
    await registry.resolveClient('dcr_records');
    await store.saveClient(record('Second'));
    expect((await registry.resolveClient('dcr_records')).metadata.client_name).toBe('Second');
    expect(reads()).toBe(2);
  });

  it('refuses a registeredClientTtlMs that is not a whole number of ms', () => {
    expect(() => createClientRegistry({ registeredClientTtlMs: -1 })).toThrow(/registeredClientTtlMs/);
    expect(() => createClientRegistry({ registeredClientTtlMs: 1.5 })).toThrow(/registeredClientTtlMs/);
  });
});
