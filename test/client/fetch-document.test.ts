/**
 * The provider learns its redirect URIs and auth method from its own document, fetched once with
 * the SSRF-safe fetcher (a local HTTPS host with a test CA), and signs in with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/connect.js';
import { CimdOAuthClientProvider } from '../../src/client/provider.js';
import { createHeadlessAuthorizer } from '../../src/conformance/headless.js';
import { type HttpsHost, json, startHttpsHost } from '../helpers/https-host.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';
import { publicDocument } from './helpers/documents.js';
import { startFakeAs, startFakeMcp } from './helpers/fake-servers.js';

describe('the document is fetched once, SSRF-safe', () => {
  let ca: TestCa;
  let host: HttpsHost;
  let url: string;

  beforeAll(async () => {
    ca = createTestCa();
    host = await startHttpsHost(ca);
    url = `${host.origin}/oauth/client.json`;
    host.route(
      '/oauth/client.json',
      json(publicDocument({ client_id: url, redirect_uris: ['http://localhost/callback'] })),
    );
    host.route('/mismatch.json', json(publicDocument({ client_id: url })));
  });
  afterAll(async () => {
    await host.close();
    ca.dispose();
  });

  it('signs in with the redirect URI the fetched document lists (localhost here), fetching it once', async () => {
    const as = await startFakeAs({
      cimd: true,
      documents: { [url]: publicDocument({ client_id: url, redirect_uris: ['http://localhost/callback'] }) },
    });
    const mcp = await startFakeMcp({ as });
    try {
      const provider = new CimdOAuthClientProvider({
        serverUrl: mcp.url,
        clientMetadataUrl: url,
        allowPrivateNetwork: true,
        fetchOptions: { ca: ca.caCert },
        onAuthorizationUrl: createHeadlessAuthorizer(),
      });
      const client = await connect(mcp.url, { provider });
      await client.listTools();
      await client.close();
      expect(as.authorizeRequests[0]?.get('redirect_uri')).toMatch(/^http:\/\/localhost:\d+\/callback$/);
      expect(host.hits.get('/oauth/client.json')).toBe(1);
    } finally {
      await mcp.close();
      await as.close();
    }
  });

  it('refuses a document whose client_id is not its URL', async () => {
    const mismatch = `${host.origin}/mismatch.json`;
    const provider = new CimdOAuthClientProvider({
      serverUrl: 'http://127.0.0.1:1/mcp',
      clientMetadataUrl: mismatch,
      allowPrivateNetwork: true,
      fetchOptions: { ca: ca.caCert },
    });
    await expect(provider.prepare()).rejects.toMatchObject({ code: 'ERR_SIGNIN_CLIENT_CONFIG' });
  });

  it('does not fetch from a private network without allowPrivateNetwork', () => {
    expect(
      () =>
        new CimdOAuthClientProvider({
          serverUrl: 'http://127.0.0.1:1/mcp',
          clientMetadataUrl: url,
          fetchOptions: { ca: ca.caCert },
        }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CIMD_INVALID_CLIENT_ID' }));
  });
});
