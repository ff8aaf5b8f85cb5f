/**
 * Steps of the OAuth proxy flow for the upstream tests, one browser request at a time, so a test
 * can stop, tamper or replay between them: our consent (approve), the provider's sign-in (oidc:
 * its dev login form; GitHub-like: an immediate redirect), our callback and the return, and the
 * checks on what the MCP client finally receives.
 */
import { expect } from 'vitest';
import { completeUpstreamLogin } from '../../../src/demo/upstream-idp.js';
import {
  approveConsent,
  type CookieJar,
  type LogLine,
  type ProxyHarness,
  type TestClient,
} from './harness.js';

/** An authorization request in flight: its URL, PKCE verifier and state. */
export interface Started {
  url: string;
  verifier: string;
  state: string;
  /** Where our server sent the browser after consent: the provider's authorization URL. */
  upstream: URL;
}

/** GETs the authorization URL, approves our consent page and expects the redirect to the provider. */
export async function startSignIn(
  harness: ProxyHarness,
  browser: CookieJar,
  client: TestClient,
  extra: Record<string, string> = {},
): Promise<Started> {
  const request = harness.authorizationUrl(client, extra);
  const response = await approveConsent(browser, request.url);
  expect(response.status).toBe(303);
  const upstream = new URL(response.headers.get('location') ?? '');
  expect(upstream.origin).not.toBe(harness.issuer);
  return { ...request, upstream };
}

/**
 * The provider's part: signs in as `login` (oidc: typed into its login form, default
 * `demo-user`; GitHub-like: made its current user, default unchanged), or cancels, and returns
 * the callback URL it sends the browser to (not yet delivered).
 */
export async function upstreamSignIn(
  harness: ProxyHarness,
  upstream: URL,
  login?: string,
  cancel = false,
): Promise<URL> {
  if (harness.idp !== undefined) {
    return completeUpstreamLogin(upstream, { login: login ?? 'demo-user', cancel });
  }
  if (login !== undefined) harness.github?.setCurrentUser(login);
  harness.github?.setDeny(cancel);
  try {
    const response = await fetch(upstream, { redirect: 'manual' });
    await response.body?.cancel();
    expect(response.status).toBe(302);
    return new URL(response.headers.get('location') ?? '');
  } finally {
    harness.github?.setDeny(false);
  }
}

/** Delivers `url` (on our server) in `browser` and follows our own redirects; returns the last response. */
export async function followOnServer(
  harness: ProxyHarness,
  browser: CookieJar,
  url: URL | string,
): Promise<Response> {
  let response = await browser.fetch(url);
  let location = response.headers.get('location');
  while (
    response.status === 303 &&
    location !== null &&
    new URL(location, harness.issuer).origin === harness.issuer
  ) {
    await response.body?.cancel();
    response = await browser.fetch(new URL(location, harness.issuer));
    location = response.headers.get('location');
  }
  return response;
}

/** The whole sign-in for `client` as `login`; returns the final response and the request. */
export async function signIn(
  harness: ProxyHarness,
  browser: CookieJar,
  client: TestClient,
  login?: string,
  extra: Record<string, string> = {},
): Promise<{ started: Started; response: Response }> {
  const started = await startSignIn(harness, browser, client, extra);
  const callback = await upstreamSignIn(harness, started.upstream, login);
  return { started, response: await followOnServer(harness, browser, callback) };
}

/** Checks a 303 to the client's redirect URI with `state` and our `iss`; returns its query. */
export function atClient(
  harness: ProxyHarness,
  client: TestClient,
  response: Response,
  state: string,
): URLSearchParams {
  expect(response.status).toBe(303);
  const location = new URL(response.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe(client.redirectUri);
  expect(location.searchParams.get('state')).toBe(state);
  expect(location.searchParams.get('iss')).toBe(harness.issuer);
  return location.searchParams;
}

/** Checks the client got `error` (and no code) at its redirect URI. */
export function expectErrorAtClient(
  harness: ProxyHarness,
  client: TestClient,
  response: Response,
  state: string,
  error: string,
): void {
  const query = atClient(harness, client, response, state);
  expect(query.get('error')).toBe(error);
  expect(query.has('code')).toBe(false);
}

/** The code the client got at its redirect URI. */
export function codeAtClient(
  harness: ProxyHarness,
  client: TestClient,
  response: Response,
  state: string,
): string {
  const query = atClient(harness, client, response, state);
  expect(query.get('error')).toBeNull();
  const code = query.get('code');
  expect(code).toBeTruthy();
  return code ?? '';
}

/** Checks an error page (no redirect anywhere, never 5xx) and returns its HTML. */
export async function expectErrorPage(response: Response, status = 400): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get('location')).toBeNull();
  const html = await response.text();
  expect(html).toContain('This sign-in request cannot continue');
  return html;
}

/** Our tokens for `code`, and the AuthInfo tool code would get for its access token. */
export async function redeemTokens(
  harness: ProxyHarness,
  client: TestClient,
  code: string,
  verifier: string,
): Promise<{
  body: Record<string, string>;
  authInfo: { token: string; clientId: string; scopes: string[]; extra: { claims: Record<string, unknown> } };
}> {
  const response = await harness.redeem(client, code, verifier);
  expect(response.status).toBe(200);
  const body = (await response.json()) as Record<string, string>;
  const token = body.access_token ?? '';
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  return { body, authInfo: { token, clientId: client.clientId, scopes: [], extra: { claims: payload } } };
}

/** The log lines with `event` (and matching `fields`). */
export function logged(
  harness: ProxyHarness,
  event: string,
  fields: Record<string, unknown> = {},
): LogLine[] {
  return harness.logs.filter(
    (line) =>
      line.fields.event === event &&
      Object.entries(fields).every(([name, value]) => line.fields[name] === value),
  );
}

/** The new authorization requests the oidc upstream received (`GET /auth?…`), as URLs. */
export function upstreamAuthRequests(harness: ProxyHarness): URL[] {
  return (harness.idp?.requests ?? [])
    .filter((request) => request.path.startsWith('/auth?'))
    .map((request) => new URL(request.path, harness.idp?.issuer));
}

/**
 * Checks the 403 page for a user the allow-lists refuse: its "Return to the application" link is
 * the client's redirect URI with `error=access_denied`, `state` and `iss`, and no code.
 */
export async function expectNotAllowedPage(
  harness: ProxyHarness,
  client: TestClient,
  response: Response,
  state: string,
): Promise<void> {
  const html = await expectErrorPage(response, 403);
  expect(html).toContain('not allowed to use this server');
  const href = /<a[^>]*href="([^"]+)"[^>]*>Return to the application<\/a>/.exec(html)?.[1];
  expect(href).toBeDefined();
  const link = new URL((href ?? '').replace(/&amp;/g, '&'));
  expect(`${link.origin}${link.pathname}`).toBe(client.redirectUri);
  expect(link.searchParams.get('error')).toBe('access_denied');
  expect(link.searchParams.get('state')).toBe(state);
  expect(link.searchParams.get('iss')).toBe(harness.issuer);
  expect(link.searchParams.has('code')).toBe(false);
  expect(logged(harness, 'upstream.sign_in_failed', { failure: 'user_not_allowed' }).length).toBeGreaterThan(
    0,
  );
}

/** The subject (`sub`) of the access token `client` gets for a completed sign-in `response`. */
export async function subjectOf(
  harness: ProxyHarness,
  client: TestClient,
  started: Started,
  response: Response,
): Promise<string> {
  const code = codeAtClient(harness, client, response, started.state);
  const { authInfo } = await redeemTokens(harness, client, code, started.verifier);
  return String(authInfo.extra.claims.sub);
}
