/**
 * Sign-in and the consent decision: the authenticator's answers, prompt=none/login/consent,
 * remembered consent and when it may skip the page (fingerprint: CIMD-AS-19; scopes and
 * resources; skipWhenRemembered; skipForTrusted), and never a silent approval of an untrusted
 * CIMD client with prompt=none (MCP-AS-17, requirements §3.7).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizationServerOptions } from '../../../src/server/authorization-server/options.js';
import {
  ALICE,
  consentForm,
  documentFor,
  type Harness,
  ISSUER,
  OTHER_RESOURCE,
  pkce,
  RESOURCE,
  redirectQuery,
  startHarness,
  type TestServer,
  validParams,
} from './helpers.js';

const LOOPBACK = 'http://127.0.0.1:51004/callback';
const WEB = 'https://app.example/cb';
let h: Harness;
const { challenge } = pkce();

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

/** A client with a loopback and an https redirect URI. */
function mixedClient(): string {
  return h.client({ redirect_uris: ['http://127.0.0.1/callback', WEB] });
}

/** Goes through the consent page once, approving. */
async function approveOnce(s: TestServer, clientId: string, extra: Record<string, string | undefined> = {}) {
  const form = await consentForm(await s.authorize(validParams(clientId, challenge, extra)));
  const response = await s.consent(
    { interaction: form.interaction, csrf_token: form.csrfToken, decision: 'approve' },
    { cookie: form.cookie },
  );
  expect(response.status).toBe(303);
}

/** What the next request gets: the consent page (`ask`), a code (`skip`), or an error code. */
async function outcome(s: TestServer, clientId: string, extra: Record<string, string | undefined> = {}) {
  const response = await s.authorize(validParams(clientId, challenge, extra));
  if (response.status === 200) return 'ask';
  const location = new URL(response.headers.get('location') as string);
  return location.searchParams.get('error') ?? (location.searchParams.has('code') ? 'skip' : 'unknown');
}

describe('sign-in', () => {
  it('the authenticator response (a login page) is returned as is; returnTo is this request', async () => {
    const s = h.server();
    const clientId = h.client();
    s.auth.answer = () => new Response('login form', { status: 200, headers: { 'x-login': '1' } });
    const response = await s.authorize(validParams(clientId, challenge, { prompt: 'login' }));
    expect(response.headers.get('x-login')).toBe('1');
    const call = s.auth.calls.at(-1);
    expect(call?.prompt).toBe('login');
    const returnTo = new URL(call?.returnTo as string);
    expect(`${returnTo.origin}${returnTo.pathname}`).toBe(`${ISSUER}/authorize`);
    expect(returnTo.searchParams.get('client_id')).toBe(clientId);
    expect(returnTo.searchParams.get('state')).toBe('st-123');
    // Coming back must not ask to log in again.
    expect(returnTo.searchParams.has('prompt')).toBe(false);
  });

  it('prompt=login consent keeps consent in returnTo', async () => {
    const s = h.server();
    s.auth.answer = () => new Response('login form');
    await s.authorize(validParams(h.client(), challenge, { prompt: 'login consent' }));
    expect(new URL(s.auth.calls.at(-1)?.returnTo as string).searchParams.get('prompt')).toBe('consent');
  });

  it('prompt=none and nobody signed in → login_required redirect with state and iss', async () => {
    const s = h.server();
    s.auth.answer = () => undefined;
    const query = redirectQuery(
      await s.authorize(validParams(h.client(), challenge, { prompt: 'none' })),
      LOOPBACK,
    );
    expect(query.get('error')).toBe('login_required');
    expect(query.get('state')).toBe('st-123');
    expect(query.get('iss')).toBe(ISSUER);
    expect(s.auth.calls.at(-1)?.prompt).toBe('none');
  });

  it('the authenticator is not asked before the request is valid', async () => {
    const s = h.server();
    await s.authorize(validParams(h.client(), challenge, { code_challenge: undefined }));
    expect(s.auth.calls).toHaveLength(0);
  });

  it('an authenticator that throws → 500 error page, logged, no redirect', async () => {
    const s = h.server();
    s.auth.answer = () => {
      throw new Error('identity provider down');
    };
    const response = await s.authorize(validParams(h.client(), challenge));
    expect(response.status).toBe(500);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).not.toContain('identity provider down');
    expect(s.logs.some((entry) => entry.level === 'error')).toBe(true);
  });
});

describe('the first time', () => {
  it('an untrusted client sees the consent page', async () => {
    expect(await outcome(h.server(), h.client())).toBe('ask');
  });

  it('prompt=none the first time → consent_required', async () => {
    expect(await outcome(h.server(), h.client(), { prompt: 'none' })).toBe('consent_required');
  });

  it('skipForTrusted: a trusted client skips the page, even with prompt=none', async () => {
    const clientId = h.client();
    const s = h.server({
      consent: { skipForTrusted: true },
      clients: { trustPolicy: { trusted: [clientId] } },
    });
    expect(await outcome(s, clientId)).toBe('skip');
    expect(await outcome(s, clientId, { prompt: 'none' })).toBe('skip');
    expect(await outcome(s, clientId, { prompt: 'consent' })).toBe('ask');
  });

  it('skipForTrusted does not apply to untrusted clients', async () => {
    const s = h.server({ consent: { skipForTrusted: true } });
    expect(await outcome(s, h.client())).toBe('ask');
  });

  it('a skipped consent issues a code with the right record', async () => {
    const clientId = h.client();
    const s = h.server({
      consent: { skipForTrusted: true },
      clients: { trustPolicy: { trusted: [clientId] } },
    });
    const response = await s.authorize(
      validParams(clientId, challenge, { scope: 'a b', resource: OTHER_RESOURCE }),
    );
    const query = redirectQuery(response, LOOPBACK);
    expect(query.get('state')).toBe('st-123');
    expect(query.get('iss')).toBe(ISSUER);
    const record = await s.codeRecord(query.get('code') as string);
    expect(record).toMatchObject({
      clientId,
      userId: ALICE.userId,
      redirectUri: LOOPBACK,
      codeChallenge: challenge,
      resources: [OTHER_RESOURCE],
      scope: 'a b',
      authTime: ALICE.authTime,
    });
    expect(record?.grantId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(record?.clientFingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.logs.some((entry) => entry.fields.event === 'consent.skipped')).toBe(true);
  });
});

describe('remembered consent and skipWhenRemembered', () => {
  const modes: Array<{
    mode: NonNullable<NonNullable<AuthorizationServerOptions['consent']>['skipWhenRemembered']>;
    trusted: boolean;
    redirect: string;
    expected: 'ask' | 'skip';
  }> = [
    { mode: 'trusted', trusted: false, redirect: LOOPBACK, expected: 'ask' },
    { mode: 'trusted', trusted: false, redirect: WEB, expected: 'ask' },
    { mode: 'trusted', trusted: true, redirect: LOOPBACK, expected: 'skip' },
    { mode: 'trusted', trusted: true, redirect: WEB, expected: 'skip' },
    { mode: 'non-loopback', trusted: false, redirect: LOOPBACK, expected: 'ask' },
    { mode: 'non-loopback', trusted: false, redirect: WEB, expected: 'skip' },
    { mode: 'non-loopback', trusted: true, redirect: LOOPBACK, expected: 'skip' },
    { mode: 'never', trusted: true, redirect: WEB, expected: 'ask' },
    { mode: 'never', trusted: false, redirect: WEB, expected: 'ask' },
  ];
  it.each(modes)(
    'skipWhenRemembered=$mode, trusted=$trusted, redirect $redirect → $expected',
    async (row) => {
      const clientId = mixedClient();
      const s = h.server({
        consent: { skipWhenRemembered: row.mode },
        clients: { trustPolicy: { trusted: row.trusted ? [clientId] : [] } },
      });
      await approveOnce(s, clientId, { redirect_uri: row.redirect });
      expect(await outcome(s, clientId, { redirect_uri: row.redirect })).toBe(row.expected);
    },
  );

  it('the approval is saved with the scopes, resources and fingerprint, for rememberForMs', async () => {
    const clientId = h.client();
    const s = h.server({ consent: { rememberForMs: 3_600_000 } });
    await approveOnce(s, clientId, { scope: 'x y' });
    const saved = await s.store.getConsent(ALICE.userId, clientId);
    expect(saved).toMatchObject({ scopes: ['x', 'y'], resources: [RESOURCE], grantedAt: s.clock.now() });
    expect(saved?.expiresAt).toBe(s.clock.now() + 3_600_000);
    s.clock.advance(3_600_001);
    expect(await s.store.getConsent(ALICE.userId, clientId)).toBeUndefined();
  });

  it('rememberForMs=0 remembers nothing', async () => {
    const clientId = h.client();
    const s = h.server({ consent: { rememberForMs: 0 } });
    await approveOnce(s, clientId);
    expect(await s.store.getConsent(ALICE.userId, clientId)).toBeUndefined();
  });

  it('a later approval for the same document adds to the remembered scopes', async () => {
    const clientId = h.client();
    const s = h.server({ consent: { skipWhenRemembered: 'never' } });
    await approveOnce(s, clientId, { scope: 'a' });
    await approveOnce(s, clientId, { scope: 'b', resource: OTHER_RESOURCE });
    const saved = await s.store.getConsent(ALICE.userId, clientId);
    expect(saved?.scopes).toEqual(['a', 'b']);
    expect(saved?.resources).toEqual([RESOURCE, OTHER_RESOURCE]);
  });

  describe('with a trusted client and the default mode', () => {
    let s: TestServer;
    let clientId: string;
    beforeAll(async () => {
      clientId = h.client();
      s = h.server({
        clients: { trustPolicy: { trusted: [clientId] }, cacheBounds: { minTtlMs: 1000, maxTtlMs: 1000 } },
      });
      await approveOnce(s, clientId, { scope: 'read write' });
    });

    it('the same request skips the page', async () => {
      expect(await outcome(s, clientId, { scope: 'read write' })).toBe('skip');
    });

    it('fewer scopes skip too', async () => {
      expect(await outcome(s, clientId, { scope: 'read' })).toBe('skip');
    });

    it('a scope not approved before asks again', async () => {
      expect(await outcome(s, clientId, { scope: 'read admin' })).toBe('ask');
    });

    it('another resource asks again', async () => {
      expect(await outcome(s, clientId, { scope: 'read', resource: OTHER_RESOURCE })).toBe('ask');
    });

    it('prompt=consent always shows the page', async () => {
      expect(await outcome(s, clientId, { scope: 'read', prompt: 'consent' })).toBe('ask');
    });

    it('prompt=none with a remembered, covering consent for a trusted client → code', async () => {
      expect(await outcome(s, clientId, { scope: 'read', prompt: 'none' })).toBe('skip');
    });

    it('CIMD-AS-19: after the document changes (new redirect URIs), consent is asked again', async () => {
      h.reserve(clientId, documentFor(clientId, { redirect_uris: ['http://127.0.0.1/callback', WEB] }));
      // Let the cached document expire (cacheBounds: 1 s) so the registry refetches it.
      s.clock.advance(1_500);
      expect(await outcome(s, clientId, { scope: 'read' })).toBe('ask');
      expect(await outcome(s, clientId, { scope: 'read', prompt: 'none' })).toBe('consent_required');
    });
  });

  it('MCP-AS-17: prompt=none never silently approves an untrusted CIMD client, even when remembered', async () => {
    const clientId = mixedClient();
    const s = h.server({ consent: { skipWhenRemembered: 'non-loopback' } });
    await approveOnce(s, clientId, { redirect_uri: WEB });
    expect(await outcome(s, clientId, { redirect_uri: WEB })).toBe('skip');
    expect(await outcome(s, clientId, { redirect_uri: WEB, prompt: 'none' })).toBe('consent_required');
    expect(await outcome(s, clientId, { redirect_uri: LOOPBACK, prompt: 'none' })).toBe('consent_required');
  });

  it('§3.7: an untrusted loopback-only CIMD client with prompt=none → consent_required, with state and iss', async () => {
    const s = h.server();
    const clientId = h.client();
    await approveOnce(s, clientId);
    const query = redirectQuery(
      await s.authorize(validParams(clientId, challenge, { prompt: 'none' })),
      LOOPBACK,
    );
    expect(query.get('error')).toBe('consent_required');
    expect(query.get('state')).toBe('st-123');
    expect(query.get('iss')).toBe(ISSUER);
  });

  it('a remembered consent of another user does not count', async () => {
    const clientId = h.client();
    const s = h.server({ consent: { skipWhenRemembered: 'non-loopback' } });
    await s.store.saveConsent({
      userId: 'bob',
      clientId,
      scopes: [],
      resources: [RESOURCE],
      clientFingerprint: 'whatever',
      grantedAt: s.clock.now(),
      expiresAt: s.clock.now() + 60_000,
    });
    expect(await outcome(s, clientId)).toBe('ask');
  });
});
