/** Registered clients' views: parsed and fingerprinted once per version of the record. */
import { describe, expect, it } from 'vitest';
import { createRegisteredViews } from '../../../src/server/clients/registered-client-views.js';
import type { RegisteredClientRecord } from '../../../src/store/store.js';

function record(metadata: Record<string, unknown>): RegisteredClientRecord {
  return {
    clientId: 'static-client',
    metadata: {
      client_name: 'Static client',
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
      ...metadata,
    },
    createdAt: 0,
  };
}

describe('createRegisteredViews', () => {
  it('one record object, or an equal copy of it, gives the same view; a changed record a new one', async () => {
    const viewOf = createRegisteredViews();
    const first = record({});
    const view = await viewOf(first);
    expect(await viewOf(first)).toBe(view);
    expect(await viewOf(structuredClone(first))).toBe(view);
    const renamed = await viewOf(record({ client_name: 'Renamed client' }));
    expect(renamed).not.toBe(view);
    expect(renamed.metadata.client_name).toBe('Renamed client');
    expect(renamed.fingerprint).not.toBe(view.fingerprint);
    expect(Object.isFrozen(view.metadata)).toBe(true);
  });

  it('a record that cannot be used is refused every time, never remembered', async () => {
    const viewOf = createRegisteredViews();
    const broken = record({ token_endpoint_auth_method: 'client_secret_basic' });
    await expect(viewOf(broken)).rejects.toMatchObject({ code: 'ERR_CLIENT_NOT_FOUND' });
    await expect(viewOf(broken)).rejects.toMatchObject({ code: 'ERR_CLIENT_NOT_FOUND' });
  });
});
