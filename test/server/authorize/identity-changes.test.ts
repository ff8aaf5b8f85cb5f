/**
 * CIMD-AS-19 and the client's identity fields: a consented client whose document changes its
 * `client_name`, `client_uri`, `logo_uri`, `redirect_uris` or keys is asked for consent again,
 * and the consent page says what changed (escaped: the client writes its own name); an
 * unchanged document (members reordered, other whitespace) is not; the history records each
 * document.
 */
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientIdentityOf } from '../../../src/server/clients/identity.js';
import {
  ALICE,
  consentForm,
  documentFor,
  type Harness,
  pkce,
  startHarness,
  type TestServer,
  validParams,
} from './helpers.js';

let h: Harness;
const { challenge } = pkce();
/** Past the document cache (cacheBounds below: 1 s). */
const PAST_CACHE = 1_500;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

async function publicJwk(kid: string): Promise<JWK> {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
}

/** A server that remembers consent for trusted clients (the default) and refetches documents after 1 s. */
function serverTrusting(clientId: string): TestServer {
  return h.server({
    clients: { trustPolicy: { trusted: [clientId] }, cacheBounds: { minTtlMs: 1000, maxTtlMs: 1000 } },
  });
}

/** The request skipped the consent page: a redirect with a code. */
function expectCode(response: Response): void {
  expect(response.status).not.toBe(200);
  expect(new URL(response.headers.get('location') as string).searchParams.has('code')).toBe(true);
}

async function approve(s: TestServer, response: Response): Promise<void> {
  const form = await consentForm(response);
  const decided = await s.consent(
    { interaction: form.interaction, csrf_token: form.csrfToken, decision: 'approve' },
    { cookie: form.cookie },
  );
  expect(decided.status).toBe(303);
}

/** The consent page's HTML after `change` (members merged into the consented document). */
async function pageAfter(
  clientId: string,
  s: TestServer,
  document: Record<string, unknown>,
): Promise<{ status: number; html: string }> {
  h.reserve(clientId, document);
  s.clock.advance(PAST_CACHE);
  const response = await s.authorize(validParams(clientId, challenge));
  return { status: response.status, html: await response.text() };
}

/** A trusted client the user approved once, and its server. */
async function consented(extra: Record<string, unknown> = {}): Promise<{ clientId: string; s: TestServer }> {
  const clientId = h.client(extra);
  const s = serverTrusting(clientId);
  await approve(s, await s.authorize(validParams(clientId, challenge)));
  return { clientId, s };
}

describe('renewed consent when an identity field changes (CIMD-AS-19)', () => {
  it('an unchanged document (members reordered, other whitespace) is not asked again', async () => {
    const { clientId, s } = await consented();
    const reordered = Object.fromEntries(Object.entries(documentFor(clientId)).reverse());
    h.reserve(clientId, JSON.stringify(reordered, null, 3));
    s.clock.advance(PAST_CACHE);
    expectCode(await s.authorize(validParams(clientId, challenge)));
  });

  it('a change outside the identity fields (contacts) is not asked again', async () => {
    const { clientId, s } = await consented();
    h.reserve(clientId, documentFor(clientId, { contacts: ['ops@example.com'] }));
    s.clock.advance(PAST_CACHE);
    expectCode(await s.authorize(validParams(clientId, challenge)));
  });

  it('client_name changed: the page again, saying from what to what; approving remembers the new document', async () => {
    const { clientId, s } = await consented();
    const { status, html } = await pageAfter(clientId, s, documentFor(clientId, { client_name: 'New name' }));
    expect(status).toBe(200);
    expect(html).toContain('This application changed');
    expect(html).toContain('Its name changed from “Test client” to “New name”.');
    expect(html).not.toContain('Its keys changed');
    expect(html).not.toContain('redirect addresses');

    const response = await s.authorize(validParams(clientId, challenge));
    await approve(s, response);
    const saved = await s.store.getConsent(ALICE.userId, clientId);
    expect(saved?.clientIdentity).toStrictEqual(
      await clientIdentityOf(documentFor(clientId, { client_name: 'New name' })),
    );
    expectCode(await s.authorize(validParams(clientId, challenge)));
  });

  it('the first consent page says nothing about changes', async () => {
    const clientId = h.client();
    const s = serverTrusting(clientId);
    const html = await (await s.authorize(validParams(clientId, challenge))).text();
    expect(html).not.toContain('This application changed');
  });

  it('a hostile new name is escaped on the page', async () => {
    const { clientId, s } = await consented();
    const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&';
    const { html } = await pageAfter(clientId, s, documentFor(clientId, { client_name: hostile }));
    expect(html).toContain('This application changed');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
  });

  it('logo_uri changed: "Its logo changed."', async () => {
    const { clientId, s } = await consented({ logo_uri: 'https://logos.example/a.png' });
    const { status, html } = await pageAfter(
      clientId,
      s,
      documentFor(clientId, { logo_uri: 'https://logos.example/b.png' }),
    );
    expect(status).toBe(200);
    expect(html).toContain('Its logo changed.');
    expect(html).not.toContain('Its name changed');
  });

  it('client_uri added: the new home page is named', async () => {
    const { clientId, s } = await consented();
    const { html } = await pageAfter(
      clientId,
      s,
      documentFor(clientId, { client_uri: 'https://app.example/' }),
    );
    expect(html).toContain('It now gives a home page: <code>https://app.example/</code>.');
  });

  it('redirect_uris changed: the addresses added and removed are listed', async () => {
    const { clientId, s } = await consented();
    const { html } = await pageAfter(
      clientId,
      s,
      documentFor(clientId, { redirect_uris: ['http://127.0.0.1/callback', 'https://elsewhere.example/cb'] }),
    );
    expect(html).toContain('Its redirect addresses changed.');
    expect(html).toContain('It may now also send you to <code>https://elsewhere.example/cb</code>.');
  });

  it('keys changed (one rotated out, one in): the page says so, with counts', async () => {
    const [k1, k2] = await Promise.all([publicJwk('k1'), publicJwk('k2')]);
    const keyed = { token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256' };
    const { clientId, s } = await consented({ ...keyed, jwks: { keys: [k1] } });
    const { status, html } = await pageAfter(
      clientId,
      s,
      documentFor(clientId, { ...keyed, jwks: { keys: [k2] } }),
    );
    expect(status).toBe(200);
    expect(html).toContain('Its keys changed (1 added, 1 removed).');
  });

  it('a consent saved without the identity fields (an older version) says the registration changed', async () => {
    const { clientId, s } = await consented();
    const saved = await s.store.getConsent(ALICE.userId, clientId);
    const { clientIdentity: _identity, ...older } = saved as NonNullable<typeof saved>;
    await s.store.saveConsent(older);
    const { html } = await pageAfter(clientId, s, documentFor(clientId, { client_name: 'Other' }));
    expect(html).toContain('Its registration changed; what changed was not recorded.');
  });

  it('the history records each document, with the identity fields that changed', async () => {
    const { clientId, s } = await consented();
    await pageAfter(clientId, s, documentFor(clientId, { client_name: 'Second name' }));
    await pageAfter(
      clientId,
      s,
      documentFor(clientId, { client_name: 'Second name', logo_uri: 'https://l.example/x.png' }),
    );
    const history = await s.store.getClientDocuments(clientId);
    expect(history.map((entry) => entry.clientName)).toStrictEqual([
      'Test client',
      'Second name',
      'Second name',
    ]);
    expect(history.map((entry) => entry.changes?.fields)).toStrictEqual([
      undefined,
      ['client_name'],
      ['logo_uri'],
    ]);
    expect(history[1]?.changes?.previousFingerprint).toBe(history[0]?.fingerprint);
  });
});
