/**
 * The stall tests' world (also used by the loopback races): the real authorization server served
 * by @hono/node-server on 127.0.0.1, name resolution only through resolvers the test controls,
 * and the legitimate traffic that must keep working while hostile hosts stall (a full sign-in of
 * a fresh client, /health, /jwks, and /token for a code made beforehand), all over real loopback
 * sockets.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { expect } from 'vitest';
import type { DnsResolver, ResolvedAddress } from '../../../src/fetch/dns.js';
import { sha256Base64url } from '../../../src/server/crypto.js';
import {
  type AuthorizationServer,
  type AuthorizationServerOptions,
  createAuthorizationServer,
  devLogin,
} from '../../../src/server/index.js';
import { randomToken } from '../../../src/server/random-token.js';
import { createMemoryStore } from '../../../src/store/memory/memory-store.js';
import type { Store } from '../../../src/store/store.js';
import {
  type ConsentForm,
  consentForm,
  type LogEntry,
  pkce,
  recordingLogger,
} from '../../server/authorize/helpers.js';

/** The fetch deadline of every server here, in ms: connect, TLS, headers and body together. */
export const DEADLINE_MS = 4000;
/** How long past the deadline a stalled request may take to end: generous, for loaded machines. */
export const SLACK_MS = 8000;
/** The longest any single legitimate exchange may take: generous, yet below the deadline. */
export const LEGIT_BOUND_MS = DEADLINE_MS - 500;
export const RESOURCE = 'https://mcp.example.com/mcp';
/** The redirect URI legitimate sign-ins ask for (a loopback URI with its runtime port). */
export const CALLBACK = 'http://127.0.0.1:51004/callback';

const LOOPBACK: ResolvedAddress[] = [{ address: '127.0.0.1', family: 4 }];

/** Host names whose lookup never settles, whatever the caller's signal says. */
export const HANGING_ZONE = 'hang.example.com';

/** Counts of what the test resolver was asked. */
export interface ResolverLedger {
  /** Lookups of names in {@link HANGING_ZONE} (none of them ever settles). */
  hung: number;
}

/**
 * A resolver the test controls: `localhost` and `*.localhost` are 127.0.0.1; names in
 * {@link HANGING_ZONE} never settle (the lookup ignores its abort signal: the worst a resolver
 * can do); every other name goes to `next`, or fails with `ENOTFOUND` when there is none.
 */
export function testResolver(ledger: ResolverLedger, next?: DnsResolver): DnsResolver {
  return (hostname, options) => {
    const name = hostname.toLowerCase();
    if (name === 'localhost' || name.endsWith('.localhost'))
      return Promise.resolve(LOOPBACK.map((a) => ({ ...a })));
    if (name.endsWith(`.${HANGING_ZONE}`)) {
      ledger.hung += 1;
      return new Promise<ResolvedAddress[]>(() => {});
    }
    if (next !== undefined) return next(hostname, options);
    return Promise.reject(Object.assign(new Error(`no such name: ${hostname}`), { code: 'ENOTFOUND' }));
  };
}

/** The authorization server on a real loopback listener. */
export interface ServedServer {
  issuer: string;
  server: AuthorizationServer;
  store: Store;
  logs: LogEntry[];
  close(): Promise<void>;
}

/** Serves a new authorization server (memory store, development login) on 127.0.0.1. */
export async function serveAuthorizationServer(
  clients: NonNullable<AuthorizationServerOptions['clients']>,
): Promise<ServedServer> {
  let handler: AuthorizationServer['fetch'] = async () => new Response('starting', { status: 503 });
  const listener = serve({
    fetch: (request, env) => handler(request, env),
    port: 0,
    hostname: '127.0.0.1',
  }) as Server;
  await new Promise<void>((resolve) =>
    listener.listening ? resolve() : listener.once('listening', () => resolve()),
  );
  const issuer = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  const store = createMemoryStore();
  const logs: LogEntry[] = [];
  const server = createAuthorizationServer({
    issuer,
    resources: [RESOURCE],
    store,
    authenticator: devLogin(),
    logger: recordingLogger(logs),
    clients,
  });
  handler = server.fetch;
  return {
    issuer,
    server,
    store,
    logs,
    close: async () => {
      listener.closeAllConnections();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      await server.close();
      await store.close();
    },
  };
}

/** A response read whole, with how long it took from the request. */
export interface Outcome {
  status: number;
  contentType: string;
  location: string | null;
  retryAfter: string | null;
  text: string;
  ms: number;
}

async function outcomeOf(request: Promise<Response>, started: number): Promise<Outcome> {
  const response = await request;
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    location: response.headers.get('location'),
    retryAfter: response.headers.get('retry-after'),
    text,
    ms: performance.now() - started,
  };
}

/** The query of an authorization request for `clientId` with a fresh PKCE pair. */
function authorizationQuery(clientId: string, challenge: string): URLSearchParams {
  return new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: CALLBACK,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'stall-test',
    resource: RESOURCE,
  });
}

/** GET /authorize for `clientId` over the loopback socket, redirects not followed. */
export function authorize(issuer: string, clientId: string): Promise<Outcome> {
  const started = performance.now();
  const query = authorizationQuery(clientId, pkce().challenge);
  return outcomeOf(fetch(`${issuer}/authorize?${query}`, { redirect: 'manual' }), started);
}

/** An /authorize request whose end the test can watch without awaiting it. */
export interface Pending {
  clientId: string;
  settled: boolean;
  outcome: Promise<Outcome>;
}

export function startAuthorize(issuer: string, clientId: string): Pending {
  const pending: Pending = { clientId, settled: false, outcome: authorize(issuer, clientId) };
  pending.outcome.then(
    () => {
      pending.settled = true;
    },
    () => {
      pending.settled = true;
    },
  );
  return pending;
}

/** Polls `condition` every 20 ms; fails the test with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** One legitimate exchange: what it was, whether it succeeded, how long it took. */
export interface LegitResult {
  what: string;
  ok: boolean;
  detail: string;
  ms: number;
}

async function timed(what: string, run: () => Promise<string | undefined>): Promise<LegitResult> {
  const started = performance.now();
  try {
    const problem = await run();
    return { what, ok: problem === undefined, detail: problem ?? '', ms: performance.now() - started };
  } catch (error) {
    return { what, ok: false, detail: String(error), ms: performance.now() - started };
  }
}

function form(fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  };
}

/** A consent page opened over the loopback socket, with the PKCE verifier of its request. */
export interface OpenedConsent {
  consent: ConsentForm;
  verifier: string;
}

/** GET /authorize for `clientId`; expects the consent page and returns its form. */
export async function openConsent(issuer: string, clientId: string): Promise<OpenedConsent> {
  const { verifier, challenge } = pkce();
  const page = await fetch(`${issuer}/authorize?${authorizationQuery(clientId, challenge)}`, {
    redirect: 'manual',
  });
  if (page.status !== 200) {
    throw new Error(`/authorize answered ${page.status}: ${(await page.text()).slice(0, 300)}`);
  }
  return { consent: await consentForm(page), verifier };
}

/** POST /consent over the loopback socket as the browser that opened the page (its cookie, same origin). */
export function postConsent(issuer: string, consent: ConsentForm, decision = 'approve'): Promise<Response> {
  return fetch(`${issuer}/consent`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: issuer, cookie: consent.cookie },
    body: new URLSearchParams({ interaction: consent.interaction, csrf_token: consent.csrfToken, decision }),
  });
}

/** POST /token with a form, over the loopback socket. */
export function postToken(issuer: string, fields: Record<string, string>): Promise<Response> {
  return fetch(`${issuer}/token`, form(fields));
}

/** The authorization_code grant's fields for a public client. */
export function codeFields(clientId: string, code: string, verifier: string): Record<string, string> {
  return {
    grant_type: 'authorization_code',
    client_id: clientId,
    code,
    code_verifier: verifier,
    redirect_uri: CALLBACK,
  };
}

/**
 * A whole sign-in of a public client over the loopback socket: /authorize shows the consent page
 * (the client's document is fetched and validated), the consent post answers 303 with a code,
 * and /token exchanges it. Resolves `undefined` when every step succeeded, else what failed.
 */
async function signInSteps(issuer: string, clientId: string): Promise<string | undefined> {
  const { consent, verifier } = await openConsent(issuer, clientId);
  const approved = await postConsent(issuer, consent);
  const location = approved.headers.get('location');
  if (approved.status !== 303 || location === null) return `/consent answered ${approved.status}`;
  const code = new URL(location).searchParams.get('code');
  if (code === null) return `/consent redirected without a code: ${location}`;
  const token = await postToken(issuer, codeFields(clientId, code, verifier));
  const body = (await token.json()) as { access_token?: string };
  if (token.status !== 200 || typeof body.access_token !== 'string') return `/token answered ${token.status}`;
  return undefined;
}

/** A full sign-in of `clientId` (see {@link signInSteps}). */
export function signIn(issuer: string, clientId: string): Promise<LegitResult> {
  return timed(`sign-in of ${clientId}`, () => signInSteps(issuer, clientId));
}

/** GET /health and /jwks. */
export function serviceEndpoints(issuer: string): Promise<LegitResult>[] {
  return [
    timed('/health', async () => {
      const response = await fetch(`${issuer}/health`);
      await response.body?.cancel();
      return response.status === 200 ? undefined : `status ${response.status}`;
    }),
    timed('/jwks', async () => {
      const response = await fetch(`${issuer}/jwks`);
      const body = (await response.json()) as { keys?: unknown[] };
      return response.status === 200 && (body.keys?.length ?? 0) > 0
        ? undefined
        : `status ${response.status}`;
    }),
  ];
}

/** A code saved the way the authorization endpoint saves one, for a client already resolved. */
export interface PremadeCode {
  clientId: string;
  code: string;
  verifier: string;
}

/** Resolves `clientId` (so its document is cached) and saves `count` codes for it. */
export async function premadeCodes(
  served: ServedServer,
  clientId: string,
  count: number,
): Promise<PremadeCode[]> {
  const client = await served.server.context.registry.resolveClient(clientId);
  const codes: PremadeCode[] = [];
  for (let i = 0; i < count; i += 1) {
    const code = randomToken(32);
    const verifier = randomToken(32);
    await served.store.saveCode(
      await sha256Base64url(code),
      {
        grantId: randomToken(16),
        clientId,
        userId: 'local-developer',
        redirectUri: CALLBACK,
        codeChallenge: await sha256Base64url(verifier),
        resources: [RESOURCE],
        scope: '',
        clientFingerprint: client.fingerprint,
        authTime: Date.now(),
      },
      served.server.context.options.codeLifetimeMs,
    );
    codes.push({ clientId, code, verifier });
  }
  return codes;
}

/** POST /token for a code made beforehand. */
export function redeem(issuer: string, premade: PremadeCode): Promise<LegitResult> {
  return timed('/token for a pre-made code', async () => {
    const response = await postToken(issuer, codeFields(premade.clientId, premade.code, premade.verifier));
    const body = (await response.json()) as { access_token?: string; error_description?: string };
    return response.status === 200 && typeof body.access_token === 'string'
      ? undefined
      : `status ${response.status}: ${body.error_description ?? ''}`;
  });
}

/** Registers a public client at /register (no document to fetch) and returns its `client_id`. */
export async function registerClient(issuer: string): Promise<string> {
  const response = await fetch(`${issuer}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Registered stall-test client',
      redirect_uris: ['http://127.0.0.1/callback'],
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { client_id: string }).client_id;
}

/** Expects every legitimate exchange to have succeeded within {@link LEGIT_BOUND_MS}. */
export function expectAllSucceeded(results: LegitResult[]): void {
  const failed = results.filter((result) => !result.ok || result.ms > LEGIT_BOUND_MS);
  expect(
    failed.map(
      (result) => `${result.what}: ${result.ok ? 'ok' : result.detail} in ${Math.round(result.ms)} ms`,
    ),
  ).toEqual([]);
}

/**
 * Expects `outcome` to be the error page of a client that could not be used, within the
 * deadline plus slack: 400 `invalid_client` whose text matches `reason`, or the documented 503
 * `temporarily_unavailable` (the host's fetch budget) with a `Retry-After`; never a redirect,
 * never another 5xx.
 */
export function expectClientErrorPage(outcome: Outcome, reason: RegExp): void {
  const summary = { status: outcome.status, text: outcome.text.slice(0, 600) };
  expect(outcome.location, JSON.stringify(summary)).toBeNull();
  expect(outcome.contentType).toMatch(/^text\/html/);
  expect(outcome.ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
  if (outcome.status === 503) {
    expect(outcome.text).toContain('temporarily_unavailable');
    expect(Number(outcome.retryAfter)).toBeGreaterThan(0);
    return;
  }
  expect(summary.status, summary.text).toBe(400);
  expect(outcome.text).toContain('invalid_client');
  expect(outcome.text, summary.text).toMatch(reason);
}
