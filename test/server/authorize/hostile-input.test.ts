/**
 * Every parameter malformed, duplicated and hostile: the answer is the right error, NEVER a 500
 * and NEVER a redirect to a URI that was not validated against the client's registration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  errorPage,
  type Harness,
  ISSUER,
  pkce,
  redirectQuery,
  startHarness,
  type TestServer,
  validParams,
} from './helpers.js';

const REDIRECT = 'http://127.0.0.1:51004/callback';
const PARAMETERS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'code_challenge',
  'code_challenge_method',
  'state',
  'resource',
  'scope',
  'prompt',
] as const;
const HOSTILE: Record<string, string> = {
  script: '<script>alert(1)</script>"\'><img src=x onerror=alert(2)>',
  crlf: 'x\r\nLocation: https://evil.example/\r\nSet-Cookie: a=b',
  big: 'A'.repeat(10_240),
  unicode: 'ünïcödé \u202e\u0000 😀 \ud800',
  javascript: 'javascript:alert(document.domain)',
  data: 'data:text/html,<script>alert(1)</script>',
  evil: 'https://evil.example/cb',
  spaces: '   ',
  percent: '%00%0d%0a%ff',
};

/** The hostile values that are still well-formed for their parameter (the consent page follows). */
function accepted(name: string, kind: string): boolean {
  if (name === 'state') return kind !== 'big';
  // Printable ASCII without quotes or backslashes is a valid scope token; blanks are no scope.
  if (name === 'scope') return ['javascript', 'data', 'evil', 'percent', 'spaces'].includes(kind);
  return name === 'prompt' && kind === 'spaces';
}

let h: Harness;
let s: TestServer;
let clientId: string;
const { challenge } = pkce();

beforeAll(async () => {
  h = await startHarness();
  s = h.server();
  clientId = h.client();
});
afterAll(async () => h.close());

/** The response is a page, or a redirect to exactly the validated redirect URI. */
function expectSafe(response: Response): void {
  expect(response.status).not.toBe(500);
  expect(response.status).toBeLessThan(500);
  const location = response.headers.get('location');
  if (location !== null) {
    expect(response.status).toBe(303);
    expect(location.startsWith(`${REDIRECT}?`)).toBe(true);
    const url = new URL(location);
    expect(url.searchParams.get('iss')).toBe(ISSUER);
  }
}

describe('hostile values in every parameter', () => {
  for (const name of PARAMETERS) {
    for (const [kind, value] of Object.entries(HOSTILE)) {
      it(`${name} = ${kind}: no 500, no unvalidated redirect`, async () => {
        const response = await s.authorize(validParams(clientId, challenge, { [name]: value }));
        expectSafe(response);
        if (name === 'client_id' || name === 'redirect_uri') await errorPage(response);
        else expect(response.status).toBe(accepted(name, kind) ? 200 : 303);
      });
    }
  }
});

describe('repeated parameters (RFC 6749 §3.1): an error page, since nothing can be trusted', () => {
  for (const name of PARAMETERS) {
    it(`${name} twice → 400 page naming it, no redirect`, async () => {
      const query = new URLSearchParams(validParams(clientId, challenge) as Record<string, string>);
      if (!query.has(name)) query.append(name, 'first');
      query.append(name, name === 'redirect_uri' ? 'https://evil.example/cb' : 'again');
      const page = await errorPage(await s.authorizeRaw(query.toString()));
      expect(page).toContain(`the ${name} parameter is repeated`);
    });
  }
});

describe('specific hostile cases', () => {
  it('a script in state is echoed verbatim, URL-encoded, in the redirect only', async () => {
    const state = HOSTILE.script as string;
    const response = await s.authorize(validParams(clientId, challenge, { state, response_type: 'token' }));
    const query = redirectQuery(response, REDIRECT);
    expect(query.get('state')).toBe(state);
    expect(response.headers.get('location')).not.toContain('<');
    expect(await response.text()).toBe('');
  });

  it('a unicode state round-trips exactly', async () => {
    const state = 'état-😀-ü';
    const query = redirectQuery(
      await s.authorize(validParams(clientId, challenge, { state, code_challenge: undefined })),
      REDIRECT,
    );
    expect(query.get('state')).toBe(state);
  });

  it('a 10 KB state is refused (invalid_request) and not echoed', async () => {
    const query = redirectQuery(
      await s.authorize(validParams(clientId, challenge, { state: HOSTILE.big })),
      REDIRECT,
    );
    expect(query.get('error')).toBe('invalid_request');
    expect(query.has('state')).toBe(false);
  });

  it('a javascript: redirect_uri registered nowhere → page, and the page does not link to it', async () => {
    const page = await errorPage(
      await s.authorize(validParams(clientId, challenge, { redirect_uri: 'javascript:alert(1)//' })),
    );
    expect(page).not.toMatch(/href="javascript:/i);
  });

  it('CRLF in redirect_uri → page; the header block is not split', async () => {
    const response = await s.authorize(
      validParams(clientId, challenge, { redirect_uri: 'http://127.0.0.1:51004/callback\r\nX-Evil: 1' }),
    );
    await errorPage(response);
    expect(response.headers.get('x-evil')).toBeNull();
  });

  it('a script in client_id is escaped on the error page', async () => {
    const page = await errorPage(await s.authorize(validParams('<script>alert(1)</script>', challenge)));
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('&lt;script&gt;');
  });

  it('a 10 KB client_id URL → page, shortened', async () => {
    const page = await errorPage(
      await s.authorize(validParams(`https://localhost/${'a'.repeat(10_240)}`, challenge)),
    );
    expect(page.length).toBeLessThan(8_000);
  });

  it('a malformed percent-encoding in the query is not a 500', async () => {
    const response = await s.authorizeRaw(`client_id=%E0%A4%A&redirect_uri=%ZZ&state=%`);
    expectSafe(response);
    await errorPage(response);
  });

  it('an empty query → page', async () => {
    await errorPage(await s.authorizeRaw(''));
  });

  it('a huge form body → page', async () => {
    const response = await s.server.fetch(
      new Request(`${ISSUER}/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `state=${'a'.repeat(70_000)}`,
      }),
    );
    await errorPage(response);
  });

  it('a form body that is not UTF-8 → page', async () => {
    const response = await s.server.fetch(
      new Request(`${ISSUER}/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new Uint8Array([0x63, 0x3d, 0xff, 0xfe]),
      }),
    );
    await errorPage(response);
  });
});
