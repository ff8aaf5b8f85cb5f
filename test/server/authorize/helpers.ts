/**
 * Shared setup of the /authorize and /consent tests: real CIMD documents on a real HTTPS loopback
 * host (a throwaway CA), the real authorization server called in process, a memory store on a
 * hand-moved clock, a scriptable authenticator and a log recorder.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { expect } from 'vitest';
import {
  type AuthorizationServer,
  createAuthorizationServer,
} from '../../../src/server/authorization-server/create.js';
import type { AuthorizationServerOptions } from '../../../src/server/authorization-server/options.js';
import { sha256Base64url } from '../../../src/server/crypto.js';
import type { Logger } from '../../../src/server/logger.js';
import type {
  AuthenticatedUser,
  AuthenticationContext,
  Authenticator,
} from '../../../src/server/login/authenticator.js';
import { createMemoryStore } from '../../../src/store/memory/memory-store.js';
import type { AuthorizationCodeRecord, Store } from '../../../src/store/store.js';
import { type HttpsHost, startHttpsHost } from '../../helpers/https-host.js';
import { createTestCa, type TestCa } from '../../helpers/test-ca.js';

export const ISSUER = 'http://127.0.0.1:4000';
export const RESOURCE = 'https://mcp.example.com/mcp';
export const OTHER_RESOURCE = 'https://tools.example.com/mcp';

/** A clock tests move by hand. */
export interface TestClock {
  now: () => number;
  advance(ms: number): void;
}

export function createClock(start = Date.now()): TestClock {
  let current = start;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
  };
}

/** An authenticator whose answer tests set, recording what it was asked. */
export interface TestAuthenticator extends Authenticator {
  /** The next answers: a user, a response, or undefined (not signed in). */
  answer: (request: Request, context: AuthenticationContext) => AuthenticatedUser | Response | undefined;
  calls: AuthenticationContext[];
}

export const ALICE: AuthenticatedUser = {
  userId: 'alice',
  name: 'Alice Example',
  authTime: 1_700_000_000_000,
};

export function testAuthenticator(user: AuthenticatedUser = ALICE): TestAuthenticator {
  const auth: TestAuthenticator = {
    name: 'test-login',
    calls: [],
    answer: () => ({ ...user }),
    async authenticate(request, context) {
      auth.calls.push(context);
      return auth.answer(request, context);
    },
  };
  return auth;
}

/** A log entry the recorder saw. */
export interface LogEntry {
  level: string;
  fields: Record<string, unknown>;
  message: string | undefined;
}

export function recordingLogger(entries: LogEntry[]): Logger {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message?: string): void => {
      entries.push({ level, fields, message });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A PKCE pair. */
export interface Pkce {
  verifier: string;
  challenge: string;
}

export function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** One server under test, with its store, clock, authenticator and logs. */
export interface TestServer {
  server: AuthorizationServer;
  store: Store;
  clock: TestClock;
  auth: TestAuthenticator;
  logs: LogEntry[];
  /** GET /authorize with `params` (undefined values left out). */
  authorize(params: Record<string, string | undefined>, init?: RequestInit): Promise<Response>;
  /** GET /authorize with a raw query string. */
  authorizeRaw(query: string): Promise<Response>;
  /** POST /consent with `fields`, the given cookie and headers (same-origin by default). */
  consent(
    fields: Record<string, string | undefined>,
    options?: { cookie?: string | undefined; headers?: Record<string, string> },
  ): Promise<Response>;
  /** Reads back the code record saved for `code` (consumes it). */
  codeRecord(code: string): Promise<AuthorizationCodeRecord | undefined>;
}

/** The harness of a test file: one CA, one HTTPS host, any number of servers. */
export interface Harness {
  ca: TestCa;
  host: HttpsHost;
  /** Serves a client document at a fresh path and returns its `client_id` URL. */
  client(
    extra?: Record<string, unknown>,
    options?: { name?: string; headers?: Record<string, string> },
  ): string;
  /** Replaces the document served at `clientId`'s path. */
  reserve(clientId: string, body: unknown, headers?: Record<string, string>, status?: number): void;
  hits(clientId: string): number;
  server(options?: Partial<AuthorizationServerOptions>, user?: AuthenticatedUser): TestServer;
  close(): Promise<void>;
}

let counter = 0;

export function documentFor(clientId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: clientId,
    client_name: 'Test client',
    redirect_uris: ['http://127.0.0.1/callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...extra,
  };
}

function sendJson(body: unknown, headers: Record<string, string>, status: number) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text);
  };
}

export async function startHarness(): Promise<Harness> {
  const ca = createTestCa();
  const host = await startHttpsHost(ca);
  const servers: TestServer[] = [];
  const pathOf = (clientId: string) => new URL(clientId).pathname;
  return {
    ca,
    host,
    client: (extra = {}, options = {}) => {
      counter += 1;
      const path = `/c${counter}/${options.name ?? 'client.json'}`;
      const clientId = `${host.origin}${path}`;
      host.route(path, sendJson(documentFor(clientId, extra), options.headers ?? {}, 200));
      return clientId;
    },
    reserve: (clientId, body, headers = {}, status = 200) => {
      host.route(pathOf(clientId), sendJson(body, headers, status));
    },
    hits: (clientId) => host.hits.get(pathOf(clientId)) ?? 0,
    server: (options = {}, user = ALICE) => {
      const clock = createClock();
      const store = createMemoryStore({ now: clock.now });
      const auth = testAuthenticator(user);
      const logs: LogEntry[] = [];
      const issuer = options.issuer ?? ISSUER;
      const server = createAuthorizationServer({
        issuer,
        resources: [RESOURCE, OTHER_RESOURCE],
        store,
        authenticator: auth,
        logger: recordingLogger(logs),
        now: clock.now,
        ...options,
        clients: { allowPrivateNetwork: true, fetchOptions: { ca: ca.caCert }, ...options.clients },
      });
      const origin = new URL(issuer).origin;
      const test: TestServer = {
        server,
        store,
        clock,
        auth,
        logs,
        authorize: (params, init) => {
          const query = new URLSearchParams();
          for (const [name, value] of Object.entries(params))
            if (value !== undefined) query.append(name, value);
          return server.fetch(new Request(`${issuer}/authorize?${query}`, init));
        },
        authorizeRaw: (query) => server.fetch(new Request(`${issuer}/authorize?${query}`)),
        consent: (fields, options = {}) => {
          const body = new URLSearchParams();
          for (const [name, value] of Object.entries(fields))
            if (value !== undefined) body.append(name, value);
          const headers: Record<string, string> = {
            'content-type': 'application/x-www-form-urlencoded',
            origin,
            'sec-fetch-site': 'same-origin',
            ...options.headers,
          };
          if (options.cookie !== undefined) headers.cookie = options.cookie;
          return server.fetch(new Request(`${issuer}/consent`, { method: 'POST', headers, body }));
        },
        codeRecord: async (code) => {
          const result = await store.consumeCode(await sha256Base64url(code));
          return result.status === 'consumed' ? result.record : undefined;
        },
      };
      servers.push(test);
      return test;
    },
    close: async () => {
      for (const test of servers) {
        await test.server.close();
        await test.store.close();
      }
      await host.close();
      ca.dispose();
    },
  };
}

/** The parameters of a valid request for `clientId`. */
export function validParams(
  clientId: string,
  challenge: string,
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: 'http://127.0.0.1:51004/callback',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st-123',
    resource: RESOURCE,
    ...extra,
  };
}

/** The query of a redirect's `Location`, after checking it is a 303 to `redirectUri`. */
export function redirectQuery(response: Response, redirectUri: string): URLSearchParams {
  expect(response.status).toBe(303);
  const location = response.headers.get('location');
  expect(location).not.toBeNull();
  const url = new URL(location as string);
  expect(`${url.origin}${url.pathname}`).toBe(redirectUri);
  return url.searchParams;
}

/** Checks `response` is an HTML error page with `status` and no redirect; returns its text. */
export async function errorPage(response: Response, status = 400): Promise<string> {
  expect(response.headers.get('location')).toBeNull();
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  return response.text();
}

/** The hidden fields and the CSRF cookie of a consent page response. */
export interface ConsentForm {
  interaction: string;
  csrfToken: string;
  /** `name=value` for the Cookie header. */
  cookie: string;
  /** The raw Set-Cookie header. */
  setCookie: string;
  html: string;
}

export async function consentForm(response: Response): Promise<ConsentForm> {
  expect(response.status).toBe(200);
  const html = await response.text();
  const interaction = /name="interaction" value="([^"]+)"/.exec(html)?.[1];
  const csrfToken = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
  const setCookie = response.headers.get('set-cookie') ?? '';
  expect(interaction).toBeDefined();
  expect(csrfToken).toBeDefined();
  return {
    interaction: interaction as string,
    csrfToken: csrfToken as string,
    cookie: setCookie.split(';')[0] ?? '',
    setCookie,
    html,
  };
}
