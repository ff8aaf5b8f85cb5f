/**
 * A real OAuth proxy on loopback for the upstream tests: our authorization server (memory store)
 * served by @hono/node-server on 127.0.0.1 with an upstream authenticator, in front of a real
 * OpenID provider (oidc-provider, `startUpstreamIdp`) or the GitHub-like server; a client
 * registered through /register with a loopback redirect URI; and a cookie-jar "browser" that
 * walks the flow over plain HTTP.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import {
  completeUpstreamLogin,
  startUpstreamIdp,
  type UpstreamIdp,
  type UpstreamIdpOptions,
} from '../../../src/demo/upstream-idp.js';
import {
  type AuthorizationServer,
  type AuthorizationServerOptions,
  createAuthorizationServer,
  createUpstreamAuthenticator,
  generateEncryptionKey,
  githubProvider,
  oidcProvider,
  type UpstreamAuthenticator,
  type UpstreamAuthenticatorOptions,
  type UpstreamProvider,
} from '../../../src/server/index.js';
import type { Logger } from '../../../src/server/logger.js';
import { createMemoryStore } from '../../../src/store/memory/memory-store.js';
import type { Store } from '../../../src/store/store.js';
import { type GithubLike, type GithubLikeOptions, startGithubLike } from '../../helpers/github-like.js';

export const RESOURCE = 'https://mcp.example.com/mcp';

/** One log line, as recorded. */
export interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

/** A logger that records every line. */
export function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message = '') => {
      lines.push({ level, fields, message });
    };
  const logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  } as unknown as Logger;
  return logger;
}

/** A browser's cookie jar for one origin set, good enough for our cookies. */
export class CookieJar {
  readonly cookies = new Map<string, string>();
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index);
      const value = pair.slice(index + 1);
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  /** A request to our server with the jar's cookies; stores what it sets. */
  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', this.header());
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(response);
    return response;
  }
}

/** A registered client of the proxy. */
export interface TestClient {
  clientId: string;
  redirectUri: string;
}

/** What a test gets. */
export interface ProxyHarness {
  issuer: string;
  server: AuthorizationServer;
  authenticator: UpstreamAuthenticator;
  store: Store;
  logs: LogLine[];
  /** The key upstream tokens are sealed with (base64url). */
  encryptionKey: string;
  idp?: UpstreamIdp;
  github?: GithubLike;
  /** Registers a public client through /register (default redirect `http://127.0.0.1:9/callback`). */
  registerClient(redirectUri?: string, name?: string): Promise<TestClient>;
  /** A fresh authorization request URL for `client`, with its PKCE verifier and state. */
  authorizationUrl(
    client: TestClient,
    extra?: Record<string, string>,
  ): { url: string; verifier: string; state: string };
  /** Redeems `code` at /token. */
  redeem(client: TestClient, code: string, verifier: string): Promise<Response>;
  close(): Promise<void>;
}

/** The consent form of a page: its action and fields (with `decision`). */
export function consentFormOf(
  html: string,
  decision: 'approve' | 'deny' = 'approve',
): { action: string; body: URLSearchParams } {
  const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (form === null) throw new Error(`no consent form in: ${html.slice(0, 300)}`);
  const body = new URLSearchParams();
  for (const input of (form[2] ?? '').matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1];
    if (name !== undefined && value !== undefined) body.set(name, value);
  }
  body.set('decision', decision);
  return { action: form[1] ?? '', body };
}

/** Options of {@link startProxyHarness}. */
export interface HarnessOptions {
  upstream?: 'oidc' | 'github';
  idp?: Partial<UpstreamIdpOptions>;
  github?: GithubLikeOptions;
  authenticator?: Partial<Omit<UpstreamAuthenticatorOptions, 'issuer' | 'provider' | 'store'>>;
  /** The store (closed with the harness). Default: a new memory store. */
  store?: Store;
  /** More options of our authorization server (e.g. `consent`). */
  server?: Partial<
    Omit<AuthorizationServerOptions, 'issuer' | 'resources' | 'store' | 'authenticator' | 'logger'>
  >;
  /** Changes the provider before it is used (e.g. a short timeout). */
  provider?: (defaults: { clientId: string; clientSecret: string; issuer: string }) => UpstreamProvider;
}

/** Starts our server, the upstream, and wires them. */
export async function startProxyHarness(options: HarnessOptions = {}): Promise<ProxyHarness> {
  let handler: (request: Request) => Promise<Response> = async () =>
    new Response('starting', { status: 503 });
  const listener = serve({ fetch: (request) => handler(request), port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((resolve) =>
    listener.listening ? resolve() : listener.once('listening', () => resolve()),
  );
  const issuer = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  const callback = `${issuer}/upstream/callback`;
  const store = options.store ?? createMemoryStore();
  const logs: LogLine[] = [];
  const logger = recordingLogger(logs);
  let idp: UpstreamIdp | undefined;
  let github: GithubLike | undefined;
  let provider: UpstreamProvider;
  if ((options.upstream ?? 'oidc') === 'oidc') {
    idp = await startUpstreamIdp({ redirectUris: [callback], autoConsent: true, ...options.idp });
    const defaults = { clientId: idp.clientId, clientSecret: idp.clientSecret ?? '', issuer: idp.issuer };
    provider =
      options.provider?.(defaults) ??
      oidcProvider({
        issuer: idp.issuer,
        clientId: idp.clientId,
        clientAuth: { method: 'client_secret_basic', clientSecret: idp.clientSecret ?? '' },
        timeoutMs: 3000,
      });
  } else {
    github = await startGithubLike({ callbackUrl: callback, ...options.github });
    const defaults = { clientId: github.clientId, clientSecret: github.clientSecret, issuer: github.baseUrl };
    provider =
      options.provider?.(defaults) ??
      githubProvider({
        enterpriseUrl: github.baseUrl,
        clientId: github.clientId,
        clientAuth: { method: 'client_secret_post', clientSecret: github.clientSecret },
        timeoutMs: 3000,
      });
  }
  const encryptionKey = generateEncryptionKey();
  const authenticator = createUpstreamAuthenticator({
    issuer,
    provider,
    store,
    encryptionKey,
    logger,
    ...options.authenticator,
  });
  const server = createAuthorizationServer({
    ...options.server,
    issuer,
    resources: [RESOURCE],
    store,
    authenticator,
    logger,
  });
  handler = server.fetch;

  return {
    issuer,
    server,
    authenticator,
    store,
    logs,
    encryptionKey,
    ...(idp === undefined ? {} : { idp }),
    ...(github === undefined ? {} : { github }),
    async registerClient(redirectUri = 'http://127.0.0.1:9/callback', name = 'Test MCP client') {
      const response = await fetch(`${issuer}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          redirect_uris: [redirectUri],
          client_name: name,
          application_type: 'native',
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        }),
      });
      if (response.status !== 201) throw new Error(`register: ${response.status} ${await response.text()}`);
      const body = (await response.json()) as { client_id: string };
      return { clientId: body.client_id, redirectUri };
    },
    authorizationUrl(client, extra = {}) {
      const verifier = randomBytes(32).toString('base64url');
      const state = randomBytes(12).toString('base64url');
      const url = new URL(`${issuer}/authorize`);
      const params = {
        response_type: 'code',
        client_id: client.clientId,
        redirect_uri: client.redirectUri,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
        state,
        resource: RESOURCE,
        ...extra,
      };
      for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
      return { url: url.href, verifier, state };
    },
    redeem(client, code, verifier) {
      return fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: client.redirectUri,
          code_verifier: verifier,
          client_id: client.clientId,
          resource: RESOURCE,
        }),
      });
    },
    async close() {
      await server.close();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      listener.closeAllConnections?.();
      await idp?.close();
      await github?.close();
      await store.close();
    },
  };
}

/** Approves on our consent page (when it is shown) and returns the response to the post (or the GET). */
export async function approveConsent(
  browser: CookieJar,
  authorizationUrl: string,
  decision: 'approve' | 'deny' = 'approve',
): Promise<Response> {
  const page = await browser.fetch(authorizationUrl);
  if (page.status !== 200) return page;
  const form = consentFormOf(await page.text(), decision);
  return browser.fetch(new URL(form.action, authorizationUrl), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: new URL(authorizationUrl).origin,
    },
    body: form.body,
  });
}

/**
 * The whole browser walk for the oidc upstream: our consent (approve), the provider's login as
 * `login`, our callback, the return, and the final redirect to the client (not followed).
 */
export async function signInThroughProxy(
  browser: CookieJar,
  authorizationUrl: string,
  login = 'demo-user',
): Promise<Response> {
  let response = await approveConsent(browser, authorizationUrl);
  let location = response.headers.get('location');
  if (response.status !== 303 || location === null) return response;
  const issuerOrigin = new URL(authorizationUrl).origin;
  if (new URL(location).origin !== issuerOrigin) {
    const callback = await completeUpstreamLogin(location, { login });
    response = await browser.fetch(callback);
    location = response.headers.get('location');
  }
  while (
    response.status === 303 &&
    location !== null &&
    new URL(location, issuerOrigin).origin === issuerOrigin
  ) {
    response = await browser.fetch(new URL(location, issuerOrigin));
    location = response.headers.get('location');
  }
  return response;
}
