/**
 * Issue 12, item 1: the client's `scope` is a ceiling at `/authorize`. A client whose document
 * says `"scope": "read"` asking for `admin write` does not get them: scopes beyond the ceiling are
 * dropped (never on the consent page, never in the code or the token), and a request with nothing
 * within the ceiling is refused with `invalid_scope` at the redirect URI. A document without
 * `scope` keeps the old behaviour (no ceiling).
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consentForm,
  type Harness,
  ISSUER,
  pkce,
  redirectQuery,
  startHarness,
  type TestServer,
  validParams,
} from './helpers.js';

const REDIRECT = 'http://127.0.0.1:51004/callback';
let h: Harness;
let s: TestServer;

beforeAll(async () => {
  h = await startHarness();
  s = h.server();
});
afterAll(async () => h.close());

/** The scopes the consent page lists, in order. */
function listedScopes(html: string): string[] {
  const list = /It asks to<\/h2>\s*<ul>(.*?)<\/ul>/s.exec(html)?.[1] ?? '';
  return [...list.matchAll(/<li><code>([^<]*)<\/code><\/li>/g)].map((match) => match[1] as string);
}

/** Asks for `scope`, approves the consent page, redeems the code: the page's scopes and the token. */
async function authorizeAndRedeem(clientId: string, scope: string) {
  const { verifier, challenge } = pkce();
  const form = await consentForm(await s.authorize(validParams(clientId, challenge, { scope })));
  const approved = await s.consent(
    { interaction: form.interaction, csrf_token: form.csrfToken, decision: 'approve' },
    { cookie: form.cookie },
  );
  const code = redirectQuery(approved, REDIRECT).get('code') as string;
  const response = await s.server.fetch(
    new Request(`${ISSUER}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: clientId,
        code,
        code_verifier: verifier,
        redirect_uri: REDIRECT,
      }),
    }),
  );
  expect(response.status).toBe(200);
  const body = (await response.json()) as { access_token: string; scope?: string };
  return { html: form.html, body, claims: decodeJwt(body.access_token) };
}

describe('scope ceiling at /authorize (authorization code)', () => {
  it('a document with "scope": "read" asking for "admin write" is refused: invalid_scope at the redirect URI, with state and iss', async () => {
    const clientId = h.client({ scope: 'read' });
    const response = await s.authorize(validParams(clientId, pkce().challenge, { scope: 'admin write' }));
    const query = redirectQuery(response, REDIRECT);
    expect(query.get('error')).toBe('invalid_scope');
    expect(query.get('error_description')).toContain("this client's scope (read)");
    expect(query.get('state')).toBe('st-123');
    expect(query.get('iss')).toBe(ISSUER);
    expect(query.has('code')).toBe(false);
  });

  it('a document with "scope": "read" asking for "read admin write" gets only read: the consent page lists only read, the token says scope=read', async () => {
    const clientId = h.client({ scope: 'read' });
    const { html, body, claims } = await authorizeAndRedeem(clientId, 'read admin write');
    expect(listedScopes(html)).toEqual(['read']);
    expect(html).not.toContain('<code>admin</code>');
    expect(html).not.toContain('<code>write</code>');
    expect(body.scope).toBe('read');
    expect(claims.scope).toBe('read');
  });

  it('the consent page shows only what will be granted, in the order asked', async () => {
    const clientId = h.client({ scope: 'files:write tools:read' });
    const { html, body } = await authorizeAndRedeem(clientId, 'admin tools:read files:write');
    expect(listedScopes(html)).toEqual(['tools:read', 'files:write']);
    expect(body.scope).toBe('tools:read files:write');
  });

  it('a trusted client that skips the consent page still gets only what is within the ceiling', async () => {
    const clientId = h.client({ scope: 'read' });
    const trusted = h.server({
      consent: { skipForTrusted: true },
      clients: { trustPolicy: { trusted: [clientId] } },
    });
    const response = await trusted.authorize(
      validParams(clientId, pkce().challenge, { scope: 'read admin write' }),
    );
    const code = redirectQuery(response, REDIRECT).get('code') as string;
    expect((await trusted.codeRecord(code))?.scope).toBe('read');
  });

  it('a request without scope is unchanged: no scope asked, none granted', async () => {
    const clientId = h.client({ scope: 'read' });
    const { html, body } = await authorizeAndRedeem(clientId, '');
    expect(listedScopes(html)).toEqual([]);
    expect(body.scope).toBeUndefined();
  });

  it('a document without scope is unchanged (no ceiling): "admin write" is shown and granted', async () => {
    const clientId = h.client();
    const { html, body } = await authorizeAndRedeem(clientId, 'admin write');
    expect(listedScopes(html)).toEqual(['admin', 'write']);
    expect(body.scope).toBe('admin write');
  });

  it('a registered (DCR) client is held to the scope it registered', async () => {
    await s.store.saveClient({
      clientId: 'dcr_read_only',
      metadata: {
        client_name: 'Registered client',
        redirect_uris: ['http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        scope: 'read',
      },
      createdAt: s.clock.now(),
    });
    const refused = await s.authorize(
      validParams('dcr_read_only', pkce().challenge, { scope: 'admin write' }),
    );
    expect(redirectQuery(refused, REDIRECT).get('error')).toBe('invalid_scope');
    const page = await consentForm(
      await s.authorize(validParams('dcr_read_only', pkce().challenge, { scope: 'read admin write' })),
    );
    expect(listedScopes(page.html)).toEqual(['read']);
  });
});
