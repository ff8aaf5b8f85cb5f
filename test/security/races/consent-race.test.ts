/**
 * Issue 9, "races" at the consent step: one consent interaction (its form fields and CSRF cookie)
 * posted by many concurrent requests gives exactly one 303 back to the client; every other post
 * gets the error page and no redirect, whatever it decided. The one code that comes out is
 * redeemed once at /token. In process (`server.fetch`); `loopback.test.ts` does it over sockets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsentForm,
  consentForm,
  errorPage,
  type Harness,
  ISSUER,
  pkce,
  redirectQuery,
  startHarness,
  type TestServer,
  validParams,
} from '../../server/authorize/helpers.js';

const LOOPBACK = 'http://127.0.0.1:51004/callback';
const CONCURRENCY = 100;

let h: Harness;
let s: TestServer;

beforeAll(async () => {
  h = await startHarness();
  s = h.server();
});
afterAll(async () => h.close());

function post(form: ConsentForm, decision: string): Promise<Response> {
  return s.consent(
    { interaction: form.interaction, csrf_token: form.csrfToken, decision },
    { cookie: form.cookie },
  );
}

describe('one consent interaction posted concurrently', () => {
  it(`${CONCURRENCY} concurrent approvals: exactly one 303 with a code, state and iss; ${CONCURRENCY - 1} error pages without a redirect; the code redeems once`, async () => {
    const clientId = h.client();
    const { verifier, challenge } = pkce();
    const form = await consentForm(await s.authorize(validParams(clientId, challenge)));
    const responses = await Promise.all(Array.from({ length: CONCURRENCY }, () => post(form, 'approve')));

    const redirects = responses.filter((response) => response.status === 303);
    expect(redirects).toHaveLength(1);
    const query = redirectQuery(redirects[0]!, LOOPBACK);
    expect(query.get('state')).toBe('st-123');
    expect(query.get('iss')).toBe(ISSUER);
    const code = query.get('code');
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const refused = responses.filter((response) => response.status !== 303);
    expect(refused).toHaveLength(CONCURRENCY - 1);
    for (const response of refused) expect(await errorPage(response)).toContain('already answered');

    const exchange = (): Promise<Response> =>
      s.server.fetch(
        new Request(`${ISSUER}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            client_id: clientId,
            code: code as string,
            code_verifier: verifier,
            redirect_uri: LOOPBACK,
          }),
        }),
      );
    const [first, second] = await Promise.all([exchange(), exchange()]);
    expect([first!.status, second!.status].sort()).toEqual([200, 400]);
  });

  it('approvals and denials racing: exactly one 303 (a code or access_denied), every other post an error page', async () => {
    const form = await consentForm(await s.authorize(validParams(h.client(), pkce().challenge)));
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => post(form, i % 2 === 0 ? 'approve' : 'deny')),
    );
    const redirects = responses.filter((response) => response.status === 303);
    expect(redirects).toHaveLength(1);
    const query = redirectQuery(redirects[0]!, LOOPBACK);
    expect(query.has('code') !== (query.get('error') === 'access_denied')).toBe(true);
    for (const response of responses.filter((r) => r.status !== 303)) await errorPage(response);
  });
});
