/**
 * The OAuth proxy's headline test, every party real: an MCP SDK client with our
 * `CimdOAuthClientProvider` (a CIMD document on an HTTPS loopback host with a test CA as its
 * `client_id`, a loopback redirect) -> our authorization server (`createUpstreamAuthenticator` +
 * `oidcProvider`) in front of a real OpenID provider (oidc-provider, `startUpstreamIdp`, its own
 * consent on) -> headless Chromium clicking through OUR consent (MCP-AS-23: before any redirect
 * upstream), the provider's login and the provider's consent -> a tool call on an SDK MCP server
 * (McpServer + Streamable HTTP on Express, behind `requireBearer`) whose tool reads the upstream
 * tokens with `createUpstreamTokenReader` (its own process's view of the authorization server's
 * store and encryption key, as a separately deployed MCP server would) and calls the provider's
 * userinfo endpoint with them.
 *
 * Proven: the tool returns the upstream account's e-mail; the token the MCP client holds is ours
 * (our issuer, the MCP server as audience, our signature); no upstream token ever reaches the MCP
 * client (not in its token store, not in any response it received); when our access token and
 * the upstream access token expire, the next call refreshes both (ours at our token endpoint, the
 * provider's in the MCP server) without a new browser sign-in. And the confused deputy in a real
 * browser: after client A signed in, client B in the same browser gets OUR consent page (the
 * provider's session and consent would wave anyone through), and after signing out here, client
 * C gets our consent page again although the provider then signs in without showing anything.
 * A and B share the one upstream sign-in: a refresh through B's grant (the provider rotates its
 * refresh token and revokes everything on reuse) leaves A working.
 *
 * A phone-width screenshot of the consent-before-sign-in page goes to
 * `test-results/consent-upstream.png`.
 */
import { mkdirSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createLocalJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstreamIdp, UPSTREAM_LOGIN_FORM, type UpstreamIdp } from '../../src/demo/upstream-idp.js';
import {
  createUpstreamAuthenticator,
  createUpstreamTokenReader,
  generateEncryptionKey,
  oidcProvider,
  type UpstreamProvider,
  type UpstreamTokenReader,
  type UpstreamTokens,
} from '../../src/server/index.js';
import { CHROMIUM, HAS_CHROMIUM } from '../helpers/chromium.js';
import { type E2e, servePublicClient, startE2e } from '../helpers/mcp-e2e.js';
import {
  type BrowserClient,
  connectInBrowser,
  everythingReceived,
  launchPhoneProfile,
  mainText,
  type Walk,
} from './upstream-browser/browser-client.js';

/** Under CI a missing browser is a failure (the launch fails), never a skip. */
const SKIP = !HAS_CHROMIUM && process.env.CI !== 'true';
if (SKIP) {
  console.warn(
    `\n!!! test/e2e/upstream-browser.test.ts is SKIPPED: ${CHROMIUM} does not exist (install Debian's chromium; .ci/run does) !!!\n`,
  );
}

/** How the consent page names the provider. */
const PROVIDER_NAME = 'Example Identity';
/** The provider's account: `demo-user`, whose userinfo e-mail is this. */
const LOGIN = 'demo-user';
const EMAIL = 'demo-user@example.com';
/** Our access tokens live 2 s (whole seconds), and the MCP server allows no clock skew. */
const ACCESS_TOKEN_LIFETIME_MS = 2000;
/** The provider's access tokens live 4 s; the MCP server refreshes one within 1 s of expiry. */
const UPSTREAM_ACCESS_TOKEN_TTL_S = 4;
const UPSTREAM_REFRESH_SKEW_MS = 1000;
/** Long enough for our access token and the upstream one to need a refresh. */
const BOTH_EXPIRED_AFTER_MS = UPSTREAM_ACCESS_TOKEN_TTL_S * 1000 - UPSTREAM_REFRESH_SKEW_MS + 250;
/** Every browser step (navigation, click, wait) gives up after this. */
const STEP_TIMEOUT_MS = 10_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The e-mail the `upstream_whoami` tool answered with. */
async function upstreamWhoami(client: Client): Promise<string> {
  const result = await client.callTool({ name: 'upstream_whoami', arguments: {} });
  const [first] = result.content as { type: string; text: string }[];
  expect(result.isError, first?.text).toBeFalsy();
  return (JSON.parse(first?.text ?? '{}') as { email: string }).email;
}

interface Env extends E2e {
  idp: UpstreamIdp;
  /** The MCP server's reader (its own provider client, the shared store and key). */
  mcpReader: UpstreamTokenReader;
  /** The upstream access token the tool used, per call, in order (test bookkeeping, never sent). */
  upstreamTokensUsed: string[];
  /** Another reader for the test's own look at the vault (refreshes nothing: no skew). */
  testReader: UpstreamTokenReader;
  browser: Browser;
  context: BrowserContext;
}

let env: Env | undefined;
const clients: Client[] = [];
/** Client A, signed in by the first test; the next one checks it keeps working. */
let clientA: BrowserClient | undefined;

function e(): Env {
  if (env === undefined) throw new Error('the environment did not start');
  return env;
}

/** The MCP server's `upstream_whoami` tool (on each of the world's stateless McpServers). */
function registerUpstreamWhoami(
  server: McpServer,
  reader: UpstreamTokenReader,
  idpIssuer: string,
  used: string[],
): void {
  server.registerTool(
    'upstream_whoami',
    { description: "Asks the upstream identity provider's userinfo endpoint who the user is" },
    async (extra) => {
      if (extra.authInfo === undefined) throw new Error('no verified access token');
      const tokens = await reader.getUpstreamTokens(extra.authInfo);
      used.push(tokens.accessToken);
      const response = await fetch(`${idpIssuer}/me`, {
        headers: { authorization: `Bearer ${tokens.accessToken}` },
      });
      if (!response.ok) throw new Error(`userinfo answered ${response.status}`);
      const { email } = (await response.json()) as { email?: string };
      return { content: [{ type: 'text', text: JSON.stringify({ email }) }] };
    },
  );
}

/** The provider client of the proxy: same configuration in the authorization server and the MCP server. */
function providerFor(idp: UpstreamIdp): UpstreamProvider {
  return oidcProvider({
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientAuth: { method: 'client_secret_basic', clientSecret: idp.clientSecret ?? '' },
    displayName: PROVIDER_NAME,
    timeoutMs: 5000,
  });
}

beforeAll(async () => {
  if (SKIP) return;
  // Our authorization server logs in through the provider (which needs our issuer for its
  // redirect URI); the MCP server has its own provider client and reader, sharing only the store
  // and the key, and allows no clock skew.
  let idp: UpstreamIdp | undefined;
  let mcpReader: UpstreamTokenReader | undefined;
  let testReader: UpstreamTokenReader | undefined;
  const upstreamTokensUsed: string[] = [];
  const e2e = await startE2e({
    mcpSdk: 1,
    clockSkewMs: 0,
    authorizationServer: async ({ issuer, store }) => {
      const upstream = await startUpstreamIdp({
        redirectUris: [`${issuer}/upstream/callback`],
        autoConsent: false,
        accessTokenTtlSeconds: UPSTREAM_ACCESS_TOKEN_TTL_S,
      });
      idp = upstream;
      const encryptionKey = generateEncryptionKey();
      mcpReader = createUpstreamTokenReader({
        store,
        encryptionKey,
        provider: providerFor(upstream),
        refreshSkewMs: UPSTREAM_REFRESH_SKEW_MS,
      });
      testReader = createUpstreamTokenReader({
        store,
        encryptionKey,
        provider: providerFor(upstream),
        refreshSkewMs: 0,
      });
      return {
        authenticator: createUpstreamAuthenticator({
          issuer,
          provider: providerFor(upstream),
          store,
          encryptionKey,
        }),
        accessTokenLifetimeMs: ACCESS_TOKEN_LIFETIME_MS,
      };
    },
    extraTools: (server) =>
      registerUpstreamWhoami(server, mcpReader as UpstreamTokenReader, idp?.issuer ?? '', upstreamTokensUsed),
  });

  const { browser, context } = await launchPhoneProfile(STEP_TIMEOUT_MS);

  env = Object.assign(e2e, {
    idp: idp as UpstreamIdp,
    mcpReader: mcpReader as UpstreamTokenReader,
    upstreamTokensUsed,
    testReader: testReader as UpstreamTokenReader,
    browser,
    context,
  });
}, 60_000);

afterAll(async () => {
  for (const client of clients) await client.close().catch(() => {});
  if (env === undefined) return;
  await env.context.close().catch(() => {});
  await env.browser.close().catch(() => {});
  await env.close();
  await env.idp.close();
}, 30_000);

/** Serves a public CIMD document (loopback redirect) at `/<name>/client.json`; returns its URL, the `client_id`. */
function serveDocument(name: string, clientName: string): string {
  return servePublicClient(e(), name, { clientName });
}

/** Connects an MCP client whose sign-ins go through the shared Chromium profile. */
async function connectThroughBrowser(clientId: string, walk: Walk): Promise<BrowserClient> {
  const connected = await connectInBrowser({
    context: e().context,
    resource: e().resource,
    ca: e().ca.caCert,
    clientId,
    walk,
  });
  clients.push(connected.client);
  return connected;
}

/** The provider's requests since `from` (an index into `idp.requests`) whose path starts with `prefix`. */
function idpRequestsSince(from: number, prefix: string): { method: string; path: string }[] {
  return e()
    .idp.requests.slice(from)
    .filter((request) => request.path.startsWith(prefix));
}

/** Waits for the browser to land on the client's loopback callback (code, state and our `iss`). */
async function landsOnCallback(page: Page, authorizationUrl: URL, click: () => Promise<void>): Promise<URL> {
  const redirectUri = authorizationUrl.searchParams.get('redirect_uri') ?? '';
  expect(redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
  await Promise.all([page.waitForURL((url) => url.href.startsWith(`${redirectUri}?`)), click()]);
  const callback = new URL(page.url());
  expect(callback.searchParams.get('iss')).toBe(e().issuer);
  expect(callback.searchParams.get('state')).toBe(authorizationUrl.searchParams.get('state'));
  expect(callback.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  return callback;
}

describe.skipIf(SKIP)(
  'OAuth proxy in a real browser: MCP client -> our server -> upstream login -> tool with upstream tokens',
  () => {
    it('MCP-AS-23: our consent first, then the provider login and consent in Chromium; the tool calls userinfo with the upstream tokens, the MCP client holds only our token, and both refresh without a new sign-in', async () => {
      const clientId = serveDocument('apps/desk', 'Desk Assistant');
      const consentSeen: string[] = [];
      const a = await connectThroughBrowser(clientId, async (page, authorizationUrl) => {
        expect(authorizationUrl.origin).toBe(e().issuer);
        const idpMark = e().idp.requests.length;
        const response = await page.goto(authorizationUrl.href);
        expect(response?.status()).toBe(200);
        // OUR consent page, before anything went to the provider (MCP-AS-23).
        expect(new URL(page.url()).origin).toBe(e().issuer);
        expect(await page.locator('.domain').textContent()).toBe(new URL(clientId).host);
        const text = await mainText(page);
        consentSeen.push(text);
        expect(text).toContain('calls itself “Desk Assistant” (not verified)');
        expect(text).toContain(clientId);
        expect(text).toContain(`If you allow access, you sign in with ${PROVIDER_NAME} next`);
        expect(text).toContain(e().resource);
        expect(idpRequestsSince(idpMark, '/auth')).toEqual([]);
        mkdirSync('test-results', { recursive: true });
        await page.screenshot({ path: 'test-results/consent-upstream.png', fullPage: true });

        // Allow -> the provider's login form.
        await page.getByRole('button', { name: 'Allow and sign in' }).click();
        const login = page.locator(UPSTREAM_LOGIN_FORM.loginInput);
        await login.waitFor();
        expect(new URL(page.url()).origin).toBe(e().idp.issuer);
        await login.fill(LOGIN);
        await page.locator(UPSTREAM_LOGIN_FORM.passwordInput).fill('any password will do');
        await page.locator(UPSTREAM_LOGIN_FORM.submit).click();
        // The provider's own consent (autoConsent off) -> our callback -> the client's loopback.
        await page.locator(UPSTREAM_LOGIN_FORM.consentMarker).waitFor({ state: 'attached' });
        expect(new URL(page.url()).origin).toBe(e().idp.issuer);
        await landsOnCallback(page, authorizationUrl, () => page.locator(UPSTREAM_LOGIN_FORM.submit).click());
      });
      clientA = a;
      expect(a.signIns()).toBe(1);
      expect(consentSeen).toHaveLength(1);

      // The tool reads the upstream tokens and asks the provider who the user is.
      expect(await upstreamWhoami(a.client)).toBe(EMAIL);
      expect(e().upstreamTokensUsed).toHaveLength(1);
      const firstUpstream = e().upstreamTokensUsed[0] ?? '';

      // The token the MCP client holds is ours: our issuer, the MCP server as audience, our signature.
      const ours = (await a.provider.tokens())?.access_token ?? '';
      const claims = decodeJwt(ours);
      const jwks = (await (await fetch(`${e().issuer}/jwks`)).json()) as JSONWebKeySet;
      await jwtVerify(ours, createLocalJWKSet(jwks), {
        issuer: e().issuer,
        audience: e().resource,
        currentDate: new Date((claims.iat ?? 0) * 1000),
      });
      expect(claims.client_id).toBe(clientId);
      expect(ours).not.toBe(firstUpstream);

      // Both access tokens expire; the next call refreshes ours at our token endpoint and the
      // provider's in the MCP server, with no new browser sign-in.
      const idpMark = e().idp.requests.length;
      await sleep(BOTH_EXPIRED_AFTER_MS);
      expect(await upstreamWhoami(a.client)).toBe(EMAIL);
      expect(a.signIns()).toBe(1);
      const refreshes = a.exchanges.filter(
        (exchange) =>
          exchange.url === `${e().issuer}/token` && exchange.requestBody.includes('grant_type=refresh_token'),
      );
      expect(refreshes.map((exchange) => exchange.status)).toEqual([200]);
      const refreshed = (await a.provider.tokens())?.access_token ?? '';
      expect(refreshed).not.toBe(ours);
      expect(decodeJwt(refreshed)).toMatchObject({ iss: e().issuer, aud: e().resource, client_id: clientId });
      expect(e().upstreamTokensUsed).toHaveLength(2);
      expect(e().upstreamTokensUsed[1]).not.toBe(firstUpstream);
      expect(idpRequestsSince(idpMark, '/token').length).toBeGreaterThanOrEqual(1);
      expect(idpRequestsSince(idpMark, '/auth')).toEqual([]);

      // No upstream token ever reached the MCP client: not in its store, not in anything it received.
      const upstream: UpstreamTokens = await e().testReader.getUpstreamTokens(
        decodeJwt(refreshed).grant_id as string,
      );
      const secrets = [firstUpstream, ...e().upstreamTokensUsed, upstream.accessToken];
      if (upstream.refreshToken !== undefined) secrets.push(upstream.refreshToken);
      if (upstream.idToken !== undefined) secrets.push(upstream.idToken);
      const stored = a.store.written.join('\n');
      const received = await everythingReceived(a.exchanges);
      expect(stored).toContain(refreshed);
      for (const secret of secrets) {
        expect(secret.length).toBeGreaterThan(10);
        expect(stored.includes(secret), 'an upstream token is in the MCP client token store').toBe(false);
        expect(received.includes(secret), 'an upstream token reached the MCP client').toBe(false);
      }
    }, 90_000);

    it('MCP-AS-23 confused deputy: client B in the same browser gets OUR consent page, though the provider would wave it through', async () => {
      const clientId = serveDocument('apps/other', 'Other Tool');
      const idpMark = e().idp.requests.length;
      const b = await connectThroughBrowser(clientId, async (page, authorizationUrl) => {
        const response = await page.goto(authorizationUrl.href);
        // Not an immediate redirect: our consent page for B, with the user already signed in here.
        expect(response?.status()).toBe(200);
        expect(new URL(page.url()).origin).toBe(e().issuer);
        expect(new URL(page.url()).pathname).toBe('/authorize');
        expect(await page.locator('.domain').textContent()).toBe(new URL(clientId).host);
        const text = await mainText(page);
        expect(text).toContain('calls itself “Other Tool” (not verified)');
        expect(text).toContain(clientId);
        expect(text).toContain('Signed in as Demo User');
        await landsOnCallback(page, authorizationUrl, () =>
          page.getByRole('button', { name: 'Allow access' }).click(),
        );
      });
      expect(b.signIns()).toBe(1);
      // The session here signed B in: the provider was not asked again.
      expect(idpRequestsSince(idpMark, '/auth')).toEqual([]);
      expect(await upstreamWhoami(b.client)).toBe(EMAIL);

      // A and B share the one upstream sign-in: a refresh through B's grant (the provider rotates
      // its refresh token and revokes everything when an old one is used again) leaves A working.
      const used = e().upstreamTokensUsed.length;
      await sleep(BOTH_EXPIRED_AFTER_MS);
      expect(await upstreamWhoami(b.client)).toBe(EMAIL);
      expect(await upstreamWhoami(clientA?.client as Client)).toBe(EMAIL);
      const [viaB, viaA] = e().upstreamTokensUsed.slice(used);
      expect(viaB).not.toBe(e().upstreamTokensUsed[used - 1]);
      expect(viaA).toBe(viaB);
      expect(b.signIns()).toBe(1);
      expect(clientA?.signIns()).toBe(1);
    }, 60_000);

    it('MCP-AS-23 confused deputy: signed out here but not at the provider, client C still gets our consent page first; the provider then signs in silently', async () => {
      // The user signs out of our server (the provider's session and consent stay).
      const page = await e().context.newPage();
      try {
        await page.goto(`${e().issuer}/logout`);
        expect(await mainText(page)).toContain('Signed in as Demo User');
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.getByRole('heading', { name: 'Signed out' }).waitFor();
      } finally {
        await page.close();
      }

      const clientId = serveDocument('apps/third', 'Third Tool');
      const idpMark = e().idp.requests.length;
      const c = await connectThroughBrowser(clientId, async (page, authorizationUrl) => {
        const response = await page.goto(authorizationUrl.href);
        expect(response?.status()).toBe(200);
        expect(new URL(page.url()).origin).toBe(e().issuer);
        expect(await page.locator('.domain').textContent()).toBe(new URL(clientId).host);
        const text = await mainText(page);
        expect(text).toContain('calls itself “Third Tool” (not verified)');
        expect(text).toContain(`If you allow access, you sign in with ${PROVIDER_NAME} next`);
        expect(idpRequestsSince(idpMark, '/auth')).toEqual([]);
        // Allow: the provider remembers the user and its consent, and answers without a page.
        await landsOnCallback(page, authorizationUrl, () =>
          page.getByRole('button', { name: 'Allow and sign in' }).click(),
        );
      });
      expect(c.signIns()).toBe(1);
      expect(idpRequestsSince(idpMark, '/auth').length).toBeGreaterThanOrEqual(1);
      expect(idpRequestsSince(idpMark, '/interaction')).toEqual([]);
      expect(await upstreamWhoami(c.client)).toBe(EMAIL);
    }, 60_000);
  },
);
