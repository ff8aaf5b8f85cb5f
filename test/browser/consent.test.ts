/**
 * The consent page in a REAL headless Chromium: the authorization server served on loopback
 * with @hono/node-server, a real CIMD document on an HTTPS loopback host, the development login,
 * and the client's loopback redirect listener. Approve and deny complete in the browser, a hostile
 * `client_name` stays inert, and a phone-width screenshot is saved to `test-results/consent.png`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthorizationServer,
  createAuthorizationServer,
} from '../../src/server/authorization-server/create.js';
import { sha256Base64url } from '../../src/server/crypto.js';
import { devLogin } from '../../src/server/login/dev-login.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import type { Store } from '../../src/store/store.js';
import { CHROMIUM, HAS_CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { type HttpsHost, json, startHttpsHost } from '../helpers/https-host.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const HOSTILE_NAME = '<img src=x onerror=alert(1)><script>alert(2)</script>';
/** A 1×1 PNG, the trusted client's logo. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

if (!HAS_CHROMIUM) {
  console.warn(
    `test/browser/consent.test.ts is SKIPPED: ${CHROMIUM} does not exist (install Debian's chromium; .ci/run does)`,
  );
}

/** The client's loopback redirect listener: records each callback's query. */
interface Callback {
  port: number;
  queries: URLSearchParams[];
  close(): Promise<void>;
}

async function startCallback(): Promise<Callback> {
  const queries: URLSearchParams[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/callback') queries.push(url.searchParams);
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('You can close this window.');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    queries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

describe.skipIf(!HAS_CHROMIUM)('consent page in headless Chromium', () => {
  let ca: TestCa;
  let host: HttpsHost;
  let callback: Callback;
  let store: Store;
  let server: AuthorizationServer;
  let http: ServerType;
  let issuer: string;
  let browser: Browser;
  /** Headers of the consent posts the server saw (what Chromium really sends). */
  const consentPosts: Headers[] = [];
  let plainClient: string;
  let hostileClient: string;
  let trustedClient: string;
  let renamingClient: string;
  let renamingDocument: (name: string) => Record<string, unknown>;

  beforeAll(async () => {
    ca = createTestCa();
    host = await startHttpsHost(ca);
    callback = await startCallback();
    plainClient = `${host.origin}/oauth/client-metadata.json`;
    hostileClient = `${host.origin}/hostile/client.json`;
    trustedClient = `${host.origin}/trusted/client.json`;
    renamingClient = `${host.origin}/renaming/client.json`;
    const document = (clientId: string, name: string, extra: Record<string, unknown> = {}) => ({
      client_id: clientId,
      client_name: name,
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...extra,
    });
    host.route('/oauth/client-metadata.json', json(document(plainClient, 'Example Desktop App')));
    host.route('/hostile/client.json', json(document(hostileClient, HOSTILE_NAME)));
    host.route(
      '/trusted/client.json',
      json(
        document(trustedClient, 'Trusted Desktop App', {
          logo_uri: `${host.origin}/trusted/logo.png`,
          redirect_uris: ['http://127.0.0.1/callback', 'https://app.example/callback'],
        }),
      ),
    );
    renamingDocument = (name) => document(renamingClient, name);
    host.route('/renaming/client.json', json(renamingDocument('Renaming App')));
    host.route('/trusted/logo.png', (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    });

    let handler: ((request: Request) => Promise<Response>) | undefined;
    const listening = new Promise<AddressInfo>((resolve) => {
      http = serve(
        {
          fetch: (request: Request) => {
            if (new URL(request.url).pathname === '/consent') consentPosts.push(new Headers(request.headers));
            return handler ? handler(request) : new Response('starting', { status: 503 });
          },
          port: 0,
          hostname: '127.0.0.1',
        },
        (info) => resolve(info),
      );
    });
    const { port } = await listening;
    issuer = `http://127.0.0.1:${port}`;
    store = createMemoryStore();
    server = createAuthorizationServer({
      issuer,
      resources: [RESOURCE],
      store,
      authenticator: devLogin(),
      clients: {
        allowPrivateNetwork: true,
        fetchOptions: { ca: ca.caCert },
        trustPolicy: { trusted: [trustedClient, renamingClient] },
      },
    });
    handler = server.fetch;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    await store?.close();
    await callback?.close();
    await host?.close();
    ca?.dispose();
  });

  function authorizeUrl(clientId: string, state: string, challenge: string): string {
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: `http://127.0.0.1:${callback.port}/callback`,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
      scope: 'tools:read tools:call',
      resource: RESOURCE,
    });
    return `${issuer}/authorize?${query}`;
  }

  async function phone(): Promise<BrowserContext> {
    return browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
    });
  }

  it('CIMD-AS-21 / MCP-AS-19 / MCP-AS-21: shows the verified domain, the self-declared name and the loopback warning; approve lands on the loopback redirect with code, state and iss', async () => {
    const context = await phone();
    const page = await context.newPage();
    const { challenge } = pkce();
    const response = await page.goto(authorizeUrl(plainClient, 'approve-state', challenge));
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");

    const domain = page.locator('.domain');
    await expect.poll(() => domain.textContent()).toBe(new URL(plainClient).host);
    const text = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
    expect(text).toContain('calls itself “Example Desktop App” (not verified)');
    expect(text).toContain(plainClient);
    expect(text).toMatch(/Warning: this application only returns to programs on this device/);
    expect(text).toContain('an application on this device (127.0.0.1)');
    expect(text).toContain('tools:read');
    expect(text).toContain(RESOURCE);
    expect(text).toContain('Signed in as Local developer');
    await expect.poll(() => page.getByRole('button', { name: 'Allow access' }).count()).toBe(1);
    await expect.poll(() => page.getByRole('button', { name: 'Deny' }).count()).toBe(1);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).count()).toBe(1);

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/consent.png', fullPage: true });

    const before = callback.queries.length;
    await Promise.all([
      page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/),
      page.getByRole('button', { name: 'Allow access' }).click(),
    ]);
    expect(callback.queries.length).toBe(before + 1);
    const query = callback.queries.at(-1) as URLSearchParams;
    expect(query.get('state')).toBe('approve-state');
    expect(query.get('iss')).toBe(issuer);
    const code = query.get('code') as string;
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const record = await store.consumeCode(await sha256Base64url(code));
    expect(record.status).toBe('consumed');
    if (record.status === 'consumed') {
      expect(record.record).toMatchObject({
        clientId: plainClient,
        userId: 'local-developer',
        redirectUri: `http://127.0.0.1:${callback.port}/callback`,
        codeChallenge: challenge,
        resources: [RESOURCE],
        scope: 'tools:read tools:call',
      });
    }
    // What Chromium sent with the form post: a same-origin fetch, its Origin nulled by the page's
    // Referrer-Policy: no-referrer, which the CSRF check accepts through Sec-Fetch-Site.
    const headers = consentPosts.at(-1) as Headers;
    expect(headers.get('sec-fetch-site')).toBe('same-origin');
    expect([issuer, 'null']).toContain(headers.get('origin'));
    await context.close();
  });

  it('deny completes with access_denied, state and iss', async () => {
    const context = await phone();
    const page = await context.newPage();
    await page.goto(authorizeUrl(plainClient, 'deny-state', pkce().challenge));
    await Promise.all([
      page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/),
      page.getByRole('button', { name: 'Deny' }).click(),
    ]);
    const query = callback.queries.at(-1) as URLSearchParams;
    expect(query.get('error')).toBe('access_denied');
    expect(query.get('state')).toBe('deny-state');
    expect(query.get('iss')).toBe(issuer);
    expect(query.has('code')).toBe(false);
    await context.close();
  });

  it('a client_name full of HTML and script stays inert text', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const response = await page.goto(authorizeUrl(hostileClient, 'xss', pkce().challenge));
    expect(response?.status()).toBe(200);
    await page.waitForLoadState('load');
    const text = await page.locator('main').innerText();
    expect(text).toContain(HOSTILE_NAME);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('img').count()).toBe(0);
    await page.screenshot({ path: 'test-results/consent-hostile-desktop.png', fullPage: true });
    expect(dialogs).toEqual([]);
    await context.close();
  });

  it('CIMD-AS-25: a trusted client shows its name plainly and its logo, loaded from our origin under the CSP', async () => {
    const context = await phone();
    const page = await context.newPage();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(authorizeUrl(trustedClient, 'trusted', pkce().challenge));
    const text = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
    expect(text).toContain('Trusted Desktop App');
    expect(text).not.toContain('not verified');
    expect(text).not.toContain('Warning:');
    const logo = page.locator('img.logo');
    await expect
      .poll(() => logo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
      .toBe(1);
    const src = await logo.getAttribute('src');
    expect(src).toMatch(/^\/logo\/[A-Za-z0-9_-]{43}$/);
    // The browser never talks to the logo's host.
    expect(requested.every((url) => url.startsWith(issuer))).toBe(true);
    await page.screenshot({ path: 'test-results/consent-trusted.png', fullPage: true });
    await context.close();
  });

  it('CIMD-AS-19: a remembered client that renames itself (to HTML) is asked again, the page saying from what to what, inert', async () => {
    const context = await phone();
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const approve = async (state: string) => {
      await Promise.all([
        page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/),
        page.getByRole('button', { name: 'Allow access' }).click(),
      ]);
      expect(callback.queries.at(-1)?.get('state')).toBe(state);
    };
    await page.goto(authorizeUrl(renamingClient, 'rename-1', pkce().challenge));
    expect(await page.locator('#changes-since-consent').count()).toBe(0);
    await approve('rename-1');
    // Remembered: the same document goes straight back to the application.
    await page.goto(authorizeUrl(renamingClient, 'rename-2', pkce().challenge));
    await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/);
    expect(callback.queries.at(-1)?.has('code')).toBe(true);

    host.route('/renaming/client.json', json(renamingDocument(HOSTILE_NAME)));
    await server.context.registry.invalidate(renamingClient);
    const response = await page.goto(authorizeUrl(renamingClient, 'rename-3', pkce().challenge));
    expect(response?.status()).toBe(200);
    const notice = (await page.locator('#changes-since-consent').innerText()).replace(/\s+/g, ' ');
    expect(notice).toContain('This application changed since you last allowed it.');
    expect(notice).toContain(`Its name changed from “Renaming App” to “${HOSTILE_NAME}”.`);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(0);
    await page.screenshot({ path: 'test-results/consent-renamed.png', fullPage: true });
    await approve('rename-3');
    expect(dialogs).toEqual([]);
    await context.close();
  });
});
