/**
 * POST /consent: approve and deny (303 with code / access_denied, state and iss), the code record
 * the token endpoint consumes, CSRF (token + interaction-bound cookie + same-origin), the same
 * user, single use, expiry, and a document that changed while the page was open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE,
  type ConsentForm,
  consentForm,
  documentFor,
  errorPage,
  type Harness,
  ISSUER,
  pkce,
  RESOURCE,
  redirectQuery,
  startHarness,
  type TestServer,
  validParams,
} from './helpers.js';

const LOOPBACK = 'http://127.0.0.1:51004/callback';
let h: Harness;
let s: TestServer;
const { challenge } = pkce();

beforeAll(async () => {
  h = await startHarness();
  s = h.server();
});
afterAll(async () => h.close());

async function openPage(
  server = s,
  clientId = h.client(),
  extra: Record<string, string | undefined> = {},
): Promise<ConsentForm & { clientId: string }> {
  const form = await consentForm(await server.authorize(validParams(clientId, challenge, extra)));
  return { ...form, clientId };
}

function post(form: ConsentForm, decision = 'approve', server = s, headers: Record<string, string> = {}) {
  return server.consent(
    { interaction: form.interaction, csrf_token: form.csrfToken, decision },
    { cookie: form.cookie, headers },
  );
}

describe('approve and deny', () => {
  it('approve → 303 to the requested redirect URI with code, state and iss; the code record is complete', async () => {
    const form = await openPage(s, undefined, { scope: 'tools:read tools:call' });
    const response = await post(form);
    const query = redirectQuery(response, LOOPBACK);
    expect(query.get('state')).toBe('st-123');
    expect(query.get('iss')).toBe(ISSUER);
    const code = query.get('code') as string;
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const record = await s.codeRecord(code);
    expect(record).toEqual({
      grantId: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
      clientId: form.clientId,
      userId: ALICE.userId,
      redirectUri: LOOPBACK,
      codeChallenge: challenge,
      resources: [RESOURCE],
      scope: 'tools:read tools:call',
      clientFingerprint: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      authTime: ALICE.authTime,
    });
    // Single use at the token endpoint: the store says so.
    const { sha256Base64url } = await import('../../../src/server/crypto.js');
    expect((await s.store.consumeCode(await sha256Base64url(code))).status).toBe('reused');
  });

  it('the code lives codeLifetimeMs (60 s by default)', async () => {
    const response = await post(await openPage());
    const code = redirectQuery(response, LOOPBACK).get('code') as string;
    s.clock.advance(60_001);
    expect(await s.codeRecord(code)).toBeUndefined();
  });

  it('every code and grant id is new', async () => {
    const codes = new Set<string>();
    const grants = new Set<string>();
    for (let index = 0; index < 5; index++) {
      const code = redirectQuery(await post(await openPage()), LOOPBACK).get('code') as string;
      codes.add(code);
      grants.add((await s.codeRecord(code))?.grantId as string);
    }
    expect(codes.size).toBe(5);
    expect(grants.size).toBe(5);
  });

  it('deny → 303 with access_denied, state and iss, no code, nothing remembered', async () => {
    const form = await openPage();
    const query = redirectQuery(await post(form, 'deny'), LOOPBACK);
    expect(query.get('error')).toBe('access_denied');
    expect(query.get('state')).toBe('st-123');
    expect(query.get('iss')).toBe(ISSUER);
    expect(query.has('code')).toBe(false);
    expect(await s.store.getConsent(ALICE.userId, form.clientId)).toBeUndefined();
  });

  it('without state in the request, none in the answer', async () => {
    const form = await openPage(s, undefined, { state: undefined });
    const query = redirectQuery(await post(form), LOOPBACK);
    expect(query.has('state')).toBe(false);
  });

  it('the CSRF cookie is cleared by the answer', async () => {
    const form = await openPage();
    const response = await post(form);
    const cleared = response.headers.get('set-cookie') ?? '';
    expect(cleared).toContain(`cimd_consent_${form.interaction}=;`);
    expect(cleared).toContain('Max-Age=0');
  });

  it('logs approvals and denials, never the code, the CSRF token or the state', async () => {
    const logged = h.server();
    const form = await openPage(logged, undefined, { state: 'secret-state-value' });
    const response = await post(form, 'approve', logged);
    const code = redirectQuery(response, LOOPBACK).get('code') as string;
    const deny = await openPage(logged);
    await post(deny, 'deny', logged);
    const events = logged.logs.map((entry) => entry.fields.event);
    expect(events).toContain('consent.approved');
    expect(events).toContain('consent.denied');
    const text = JSON.stringify(logged.logs);
    for (const secret of [code, form.csrfToken, deny.csrfToken, 'secret-state-value', challenge]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('CSRF: token in the form AND the interaction-bound cookie, same origin', () => {
  it('the consent page sets an HttpOnly, SameSite=Lax, Path=/ cookie named after the interaction (plain on http loopback)', async () => {
    const form = await openPage();
    expect(form.setCookie).toMatch(new RegExp(`^cimd_consent_${form.interaction}=${form.csrfToken};`));
    expect(form.setCookie).toContain('HttpOnly');
    expect(form.setCookie).toContain('SameSite=Lax');
    expect(form.setCookie).toContain('Path=/');
    expect(form.setCookie).toContain('Max-Age=600');
    expect(form.setCookie).not.toContain('Secure');
  });

  it('on an https issuer the cookie is __Host- prefixed and Secure, and the flow works', async () => {
    const secure = h.server({ issuer: 'https://auth.example.com' });
    const form = await openPage(secure);
    expect(form.setCookie).toMatch(/^__Host-cimd_consent_/);
    expect(form.setCookie).toContain('Secure');
    expect(form.setCookie).not.toContain('Domain');
    const response = await post(form, 'approve', secure);
    expect(redirectQuery(response, LOOPBACK).get('iss')).toBe('https://auth.example.com');
  });

  const forged: Array<
    [string, (form: ConsentForm) => { fields: Record<string, string | undefined>; cookie?: string }]
  > = [
    [
      'no cookie',
      (f) => ({ fields: { interaction: f.interaction, csrf_token: f.csrfToken, decision: 'approve' } }),
    ],
    [
      'a wrong cookie value',
      (f) => ({
        fields: { interaction: f.interaction, csrf_token: f.csrfToken, decision: 'approve' },
        cookie: `cimd_consent_${f.interaction}=forged`,
      }),
    ],
    [
      'no token in the form',
      (f) => ({ fields: { interaction: f.interaction, decision: 'approve' }, cookie: f.cookie }),
    ],
    [
      'a wrong token in the form',
      (f) => ({
        fields: { interaction: f.interaction, csrf_token: 'x'.repeat(43), decision: 'approve' },
        cookie: f.cookie,
      }),
    ],
    [
      'token and cookie equal to each other but not to the interaction',
      (f) => ({
        fields: { interaction: f.interaction, csrf_token: 'forged', decision: 'approve' },
        cookie: `cimd_consent_${f.interaction}=forged`,
      }),
    ],
  ];
  it.each(forged)('%s → 403 error page, no redirect, interaction still usable', async (_name, forge) => {
    const form = await openPage();
    const { fields, cookie } = forge(form);
    const page = await errorPage(await s.consent(fields, { cookie }), 403);
    expect(page).toContain('could not be verified');
    // The real user can still decide.
    redirectQuery(await post(form), LOOPBACK);
  });

  it("another interaction's cookie does not count", async () => {
    const first = await openPage();
    const second = await openPage();
    const response = await s.consent(
      { interaction: first.interaction, csrf_token: first.csrfToken, decision: 'approve' },
      { cookie: second.cookie },
    );
    await errorPage(response, 403);
  });

  it.each([
    ['a cross-origin Origin', { origin: 'https://evil.example' }],
    ['another port on the same host', { origin: 'http://127.0.0.1:4001' }],
    ['Origin null and Sec-Fetch-Site cross-site', { origin: 'null', 'sec-fetch-site': 'cross-site' }],
    ['no Origin and Sec-Fetch-Site same-site', { origin: '', 'sec-fetch-site': 'same-site' }],
  ])('%s → 403 page', async (_name, headers) => {
    const form = await openPage();
    const request = new Request(`${ISSUER}/consent`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: form.cookie,
        ...Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== '')),
      },
      body: new URLSearchParams({
        interaction: form.interaction,
        csrf_token: form.csrfToken,
        decision: 'approve',
      }),
    });
    const page = await errorPage(await s.server.fetch(request), 403);
    expect(page).toContain('not sent from this server');
  });

  it.each([
    [
      'Origin null with Sec-Fetch-Site same-origin (what no-referrer pages send)',
      { origin: 'null', 'sec-fetch-site': 'same-origin' },
    ],
    ['no Origin, no Sec-Fetch-Site (an older browser)', {}],
    ['no Origin and Sec-Fetch-Site none', { 'sec-fetch-site': 'none' }],
  ])('%s → accepted', async (_name, headers) => {
    const form = await openPage();
    const request = new Request(`${ISSUER}/consent`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie, ...headers },
      body: new URLSearchParams({
        interaction: form.interaction,
        csrf_token: form.csrfToken,
        decision: 'approve',
      }),
    });
    redirectQuery(await s.server.fetch(request), LOOPBACK);
  });
});

describe('the interaction', () => {
  it('is single use: a second post → error page, no redirect', async () => {
    const form = await openPage();
    redirectQuery(await post(form), LOOPBACK);
    const page = await errorPage(await post(form));
    expect(page).toContain('expired or was already answered');
    await errorPage(await post(form, 'deny'));
  });

  it('two posts racing: exactly one redirect', async () => {
    const form = await openPage();
    const responses = await Promise.all([post(form), post(form), post(form, 'deny')]);
    expect(responses.filter((response) => response.status === 303)).toHaveLength(1);
    expect(responses.filter((response) => response.status === 400)).toHaveLength(2);
  });

  it('expires after interactionLifetimeMs', async () => {
    const short = h.server({ interactionLifetimeMs: 30_000 });
    const form = await openPage(short);
    expect(form.setCookie).toContain('Max-Age=30');
    short.clock.advance(30_001);
    await errorPage(await post(form, 'approve', short));
  });

  it.each([
    ['unknown', 'A'.repeat(32)],
    ['malformed', '../../etc/passwd'],
    ['missing', undefined],
  ])('%s interaction id → error page', async (_name, interaction) => {
    await errorPage(await s.consent({ interaction, csrf_token: 'x', decision: 'approve' }));
  });

  it('a decision other than approve or deny → 400 page, interaction still usable', async () => {
    const form = await openPage();
    await errorPage(await post(form, 'maybe'));
    redirectQuery(await post(form, 'deny'), LOOPBACK);
  });

  it('another signed-in user → 403 page', async () => {
    const form = await openPage();
    s.auth.answer = () => ({ userId: 'mallory', authTime: 0 });
    try {
      const page = await errorPage(await post(form), 403);
      expect(page).toContain('no longer signed in');
    } finally {
      s.auth.answer = () => ({ ...ALICE });
    }
  });

  it('signed out meanwhile → 403 page; the re-check uses prompt=none', async () => {
    const form = await openPage();
    s.auth.answer = () => undefined;
    try {
      await errorPage(await post(form), 403);
      expect(s.auth.calls.at(-1)?.prompt).toBe('none');
    } finally {
      s.auth.answer = () => ({ ...ALICE });
    }
  });

  it('CIMD-AS-19: the document changed while the page was open → error page, no code', async () => {
    const changing = h.server({ clients: { cacheBounds: { minTtlMs: 1000, maxTtlMs: 1000 } } });
    const form = await openPage(changing);
    h.reserve(form.clientId, documentFor(form.clientId, { redirect_uris: ['http://127.0.0.1/other'] }));
    changing.clock.advance(1_500);
    const page = await errorPage(await post(form, 'approve', changing));
    expect(page).toContain('registration changed');
  });

  it('the client can no longer be resolved → error page, no redirect', async () => {
    const failing = h.server({ clients: { cacheBounds: { minTtlMs: 1000, maxTtlMs: 1000 } } });
    const form = await openPage(failing);
    h.reserve(form.clientId, { error: 'gone' }, {}, 404);
    failing.clock.advance(1_500);
    await errorPage(await post(form, 'approve', failing));
  });

  it('a consent post that is not a form → 400 page', async () => {
    const response = await s.server.fetch(
      new Request(`${ISSUER}/consent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: ISSUER },
        body: '{}',
      }),
    );
    await errorPage(response);
  });
});
