/**
 * Regression tests of two flaws an attack on the server found (issue 9):
 *
 * - "500 on redirect URIs that do not parse": a client registered or published with a redirect
 *   URI no URL parser accepts made /authorize answer 500. Now the document check and /register
 *   refuse such URIs (CIMD-DOC-10), and /authorize answers the error page.
 * - "An error redirect nobody asked for": without `redirect_uri`, the only registered URI is used
 *   only when it is complete (RFC 9700 §4.11.2): a loopback URI without a port leaves the port to
 *   the request (RFC 8252 §7.3), so the request gets the error page, never a redirect to port 80.
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

/** Redirect URIs no URL parser accepts, each of a different kind. */
const UNPARSABLE = [
  'https://[::1/cb',
  'https://0x100000000/cb',
  'https://256.256.256.256/cb',
  'https://exa%zzmple.com/cb',
  'com.example.app://[x]/cb',
];

let h: Harness;
let s: TestServer;
const { challenge } = pkce();

beforeAll(async () => {
  h = await startHarness();
  s = h.server();
});
afterAll(async () => h.close());

describe('500 on redirect URIs that do not parse (issue 9, flaw 1)', () => {
  it.each(UNPARSABLE)(
    'CIMD-DOC-10: a document whose only redirect URI is %s is refused on the error page',
    async (uri) => {
      const clientId = h.client({ redirect_uris: [uri] });
      for (const redirectUri of [uri, undefined]) {
        const response = await s.authorize(validParams(clientId, challenge, { redirect_uri: redirectUri }));
        const page = await errorPage(response, 400);
        expect(page).toMatch(/redirect/i);
      }
    },
  );

  it.each(UNPARSABLE)('CIMD-DOC-10: /register refuses %s with invalid_redirect_uri', async (uri) => {
    const response = await s.server.fetch(
      new Request(`${ISSUER}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: 'Hostile',
          redirect_uris: [uri],
          application_type: 'native',
          token_endpoint_auth_method: 'none',
        }),
      }),
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_redirect_uri');
  });

  it("FastMCP's wildcard http://localhost:*/cb as the only URI, and no redirect_uri: the error page, on /authorize and before any consent", async () => {
    const clientId = h.client({ redirect_uris: ['http://localhost:*/cb'] });
    const response = await s.authorize(validParams(clientId, challenge, { redirect_uri: undefined }));
    const page = await errorPage(response, 400);
    expect(page).toContain('redirect_uri');
    expect(s.auth.calls.length).toBe(0);
  });
});

describe('An error redirect nobody asked for (issue 9, flaw 2; RFC 9700 §4.11.2)', () => {
  it('a loopback URI without a port and no redirect_uri: the error page, never a redirect to port 80', async () => {
    const clientId = h.client({ redirect_uris: ['http://127.0.0.1/callback'] });
    // Even a request that is otherwise invalid (no PKCE) must not be answered by redirect.
    for (const extra of [{}, { code_challenge: undefined }, { response_type: 'token' }]) {
      const response = await s.authorize(
        validParams(clientId, challenge, { redirect_uri: undefined, ...extra }),
      );
      await errorPage(response, 400);
    }
  });

  it('the same client naming its redirect_uri with a port works as before (RFC 8252 §7.3)', async () => {
    const clientId = h.client({ redirect_uris: ['http://127.0.0.1/callback'] });
    const response = await s.authorize(validParams(clientId, challenge, { code_challenge: undefined }));
    const query = redirectQuery(response, 'http://127.0.0.1:51004/callback');
    expect(query.get('error')).toBe('invalid_request');
  });

  it('one complete https redirect URI and no redirect_uri: errors go back to it (the request named nothing, the client has exactly one)', async () => {
    const clientId = h.client({ redirect_uris: ['https://app.example.com/cb'] });
    const response = await s.authorize(
      validParams(clientId, challenge, { redirect_uri: undefined, code_challenge: undefined }),
    );
    const query = redirectQuery(response, 'https://app.example.com/cb');
    expect(query.get('error')).toBe('invalid_request');
    expect(query.get('iss')).toBe(ISSUER);
  });
});
