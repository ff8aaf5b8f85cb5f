/**
 * The steps that must never redirect: the client (CIMD-AS-11, MCP-AS-10) and the redirect URI
 * (RURI-02..08). Real documents on a real HTTPS loopback host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consentForm,
  documentFor,
  errorPage,
  type Harness,
  pkce,
  redirectQuery,
  startHarness,
  type TestServer,
  validParams,
} from './helpers.js';

let h: Harness;
let s: TestServer;
const { challenge } = pkce();

beforeAll(async () => {
  h = await startHarness();
  s = h.server();
});
afterAll(async () => h.close());

describe('the client: failures are an error page, never a redirect (CIMD-AS-11, MCP-AS-10, RURI-08)', () => {
  it('a missing client_id → 400 page', async () => {
    const page = await errorPage(await s.authorize(validParams('', challenge, { client_id: undefined })));
    expect(page).toContain('invalid_request');
    expect(page).toContain('no client_id');
  });

  it('an unknown registered client_id → 400 page naming it', async () => {
    const page = await errorPage(await s.authorize(validParams('dcr_unknown', challenge)));
    expect(page).toContain('invalid_client');
    expect(page).toContain('dcr_unknown');
    expect(page).toContain('is not registered');
  });

  it.each([404, 500, 302])(
    'CIMD-AS-02 / CIMD-AS-11: a document answered with %i → 400 page',
    async (status) => {
      const clientId = h.client();
      h.reserve(clientId, documentFor(clientId), status === 302 ? { location: '/elsewhere' } : {}, status);
      const page = await errorPage(await s.authorize(validParams(clientId, challenge)));
      expect(page).toContain('invalid_client');
      expect(page).toContain(String(status));
    },
  );

  it('CIMD-AS-05: the document client_id does not match its URL → the safe message on the page', async () => {
    const clientId = h.client();
    h.reserve(clientId, documentFor(`${clientId}/`));
    const page = await errorPage(await s.authorize(validParams(clientId, challenge)));
    expect(page).toContain('the document&#39;s client_id does not match its URL');
  });

  it('MCP-AS-08: a document without client_name → 400 page', async () => {
    const clientId = h.client();
    const { client_name: _dropped, ...rest } = documentFor(clientId);
    h.reserve(clientId, rest);
    await errorPage(await s.authorize(validParams(clientId, challenge)));
  });

  it('CIMD-AS-04: a body that is not JSON → 400 page', async () => {
    const clientId = h.client();
    h.reserve(clientId, '{"client_id":');
    await errorPage(await s.authorize(validParams(clientId, challenge)));
  });

  it('a trust-policy refusal (deny entry) → 400 page with the reason, and nothing fetched', async () => {
    const clientId = h.client();
    const denying = h.server({ clients: { trustPolicy: { deny: [clientId] } } });
    const page = await errorPage(await denying.authorize(validParams(clientId, challenge)));
    expect(page).toContain('does not accept the client');
    expect(page).toContain('deny entry');
    expect(h.hits(clientId)).toBe(0);
  });

  it('CIMD-AS-28: allowlist mode refuses an unlisted client without fetching', async () => {
    const clientId = h.client();
    const listed = h.server({ clients: { trustPolicy: { mode: 'allowlist', allow: ['other.example'] } } });
    const page = await errorPage(await listed.authorize(validParams(clientId, challenge)));
    expect(page).toContain('allow list');
    expect(h.hits(clientId)).toBe(0);
  });

  it('a spent fetch budget → 503 page (temporarily_unavailable) with Retry-After', async () => {
    const budget = h.server({ clients: { fetchBudget: { requestsPerMinute: 1 } } });
    const first = h.client();
    const second = h.client();
    await consentForm(await budget.authorize(validParams(first, challenge)));
    const response = await budget.authorize(validParams(second, challenge));
    const page = await errorPage(response, 503);
    expect(page).toContain('temporarily_unavailable');
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('the logs say why, without the query string', async () => {
    const clientId = h.client();
    h.reserve(clientId, documentFor(clientId), {}, 404);
    const logged = h.server();
    await logged.authorize(validParams(clientId, challenge, { state: 'secret-state' }));
    const refused = logged.logs.find((entry) => entry.fields.event === 'authorization.refused');
    expect(refused?.fields).toMatchObject({ reason: 'ERR_CIMD_FETCH', error: 'invalid_client', clientId });
    expect(JSON.stringify(logged.logs)).not.toContain('secret-state');
    expect(JSON.stringify(logged.logs)).not.toContain(challenge);
  });
});

describe('the redirect URI: exact match, loopback on any port, else an error page (RURI-*)', () => {
  it('RURI-03: a registered port-less loopback URI matches any requested port; the response uses the requested one', async () => {
    const clientId = h.client({ redirect_uris: ['http://127.0.0.1/callback'] });
    const form = await consentForm(
      await s.authorize(
        validParams(clientId, challenge, { redirect_uri: 'http://127.0.0.1:51004/callback' }),
      ),
    );
    const response = await s.consent(
      { interaction: form.interaction, csrf_token: form.csrfToken, decision: 'deny' },
      { cookie: form.cookie },
    );
    redirectQuery(response, 'http://127.0.0.1:51004/callback');
  });

  it('RURI-04: the VS Code document (http://127.0.0.1:33418/ registered) is accepted on port 49152', async () => {
    const clientId = h.client(
      {
        client_name: 'Visual Studio Code',
        redirect_uris: ['http://127.0.0.1:33418/', 'https://vscode.dev/redirect'],
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        application_type: 'native',
      },
      { name: 'client-metadata.json' },
    );
    const form = await consentForm(
      await s.authorize(validParams(clientId, challenge, { redirect_uri: 'http://127.0.0.1:49152/' })),
    );
    expect(form.html).toContain('an application on this device (127.0.0.1)');
    const response = await s.consent(
      { interaction: form.interaction, csrf_token: form.csrfToken, decision: 'approve' },
      { cookie: form.cookie },
    );
    const query = redirectQuery(response, 'http://127.0.0.1:49152/');
    const record = await s.codeRecord(query.get('code') as string);
    expect(record?.redirectUri).toBe('http://127.0.0.1:49152/');
  });

  it('RURI-05: localhost matches on any port, but never 127.0.0.1', async () => {
    const clientId = h.client({ redirect_uris: ['http://localhost/callback'] });
    await consentForm(
      await s.authorize(validParams(clientId, challenge, { redirect_uri: 'http://localhost:3118/callback' })),
    );
    await errorPage(
      await s.authorize(validParams(clientId, challenge, { redirect_uri: 'http://127.0.0.1:3118/callback' })),
    );
  });

  it.each([
    ['a trailing slash', 'https://app.example/cb/'],
    ['an upper-case host', 'https://APP.example/cb'],
    ['an added query', 'https://app.example/cb?x=1'],
    ['an explicit default port', 'https://app.example:443/cb'],
    ['a percent-encoded letter', 'https://app.example/c%62'],
    ['another path', 'https://app.example/cb2'],
    ['http instead of https', 'http://app.example/cb'],
  ])('RURI-02 / RURI-08: %s → error page, no Location', async (_name, redirectUri) => {
    const clientId = h.client({ redirect_uris: ['https://app.example/cb'] });
    const page = await errorPage(
      await s.authorize(validParams(clientId, challenge, { redirect_uri: redirectUri })),
    );
    expect(page).toContain('redirect_uri is not one the application registered');
  });

  it('RURI-03: https on a loopback host and another loopback path are refused', async () => {
    const clientId = h.client({ redirect_uris: ['http://127.0.0.1/callback'] });
    for (const uri of [
      'https://127.0.0.1:51004/callback',
      'http://127.0.0.1:51004/callback2',
      'http://[::1]:51004/callback',
    ]) {
      await errorPage(await s.authorize(validParams(clientId, challenge, { redirect_uri: uri })));
    }
  });

  it('RURI-07: without redirect_uri, the one registered URI is used', async () => {
    const clientId = h.client({ redirect_uris: ['https://app.example/only'] });
    const form = await consentForm(
      await s.authorize(validParams(clientId, challenge, { redirect_uri: undefined })),
    );
    expect(form.html).toContain('<strong>app.example</strong>');
    const response = await s.consent(
      { interaction: form.interaction, csrf_token: form.csrfToken, decision: 'deny' },
      { cookie: form.cookie },
    );
    redirectQuery(response, 'https://app.example/only');
  });

  it('RURI-07: without redirect_uri and with several registered → error page', async () => {
    const clientId = h.client({ redirect_uris: ['https://app.example/a', 'https://app.example/b'] });
    const page = await errorPage(
      await s.authorize(validParams(clientId, challenge, { redirect_uri: undefined })),
    );
    expect(page).toContain('several');
  });

  it('RURI-08: a mismatched redirect_uri wins over every later error: still a page, not a redirect', async () => {
    const clientId = h.client();
    await errorPage(
      await s.authorize(
        validParams(clientId, challenge, {
          redirect_uri: 'https://evil.example/cb',
          response_type: 'token',
          code_challenge: undefined,
        }),
      ),
    );
  });

  it('a registered (DCR) client is matched the same way', async () => {
    await s.store.saveClient({
      clientId: 'dcr_abc',
      metadata: {
        client_name: 'Registered tool',
        redirect_uris: ['https://tool.example/cb'],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
      createdAt: s.clock.now(),
    });
    const form = await consentForm(
      await s.authorize(validParams('dcr_abc', challenge, { redirect_uri: 'https://tool.example/cb' })),
    );
    expect(form.html).toContain('Registered application');
    expect(form.html).toContain('“Registered tool” (not verified)');
    expect(form.html).toContain('<strong>tool.example</strong>');
    await errorPage(
      await s.authorize(validParams('dcr_abc', challenge, { redirect_uri: 'https://tool.example/cb/' })),
    );
  });
});
