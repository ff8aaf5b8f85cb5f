/**
 * Issue 9, "stalling document hosts": the real authorization server, served on 127.0.0.1, asked
 * for `client_id`s (and a `jwks_uri`) on hostile loopback hosts that stall in every way a host
 * can: a TLS handshake that never completes, response headers never sent or never finished, a
 * body trickled a byte a second, a body that never ends, and a host name whose lookup never
 * settles. While they stall, legitimate traffic (a whole sign-in of a new client whose document
 * must be fetched, /health, /jwks, /token for a code made beforehand) keeps succeeding; each
 * stalled request ends with a clear error page by the fetch deadline (plus slack), never a hang
 * and never a 5xx other than the documented 503; and the server lets go of every connection to
 * the hostile hosts.
 *
 * The fetcher keeps one connection per origin, so stalls are spread over distinct origins (one
 * listener each) for the "everyone else keeps working" property; the last block pins what a
 * stall does to its own origin (the per-origin budget refuses the overflow at once; a fetch
 * queued behind the stall ends by its own deadline).
 *
 * The server is configured as the other /authorize tests configure it (`allowPrivateNetwork`, the
 * test CA, an injected resolver): no name is ever resolved by the machine's resolver.
 */
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomToken } from '../../../src/server/random-token.js';
import { type HttpsHost, json, startHttpsHost } from '../../helpers/https-host.js';
import { createTestCa, type TestCa } from '../../helpers/test-ca.js';
import {
  authorize,
  DEADLINE_MS,
  expectAllSucceeded,
  expectClientErrorPage,
  HANGING_ZONE,
  type LegitResult,
  type Outcome,
  premadeCodes,
  type ResolverLedger,
  redeem,
  type ServedServer,
  SLACK_MS,
  serveAuthorizationServer,
  serviceEndpoints,
  signIn,
  startAuthorize,
  testResolver,
  waitFor,
} from './harness.js';
import {
  type Stall,
  type StallingHttpsHost,
  startStallingHttpsHost,
  startTlsBlackhole,
  type TlsBlackhole,
  validDocument,
} from './hostile-hosts.js';

const TIMED_OUT = new RegExp(`did not complete within ${DEADLINE_MS} ms`);
const TOO_LARGE = /sent more than 5120 bytes/;

let ca: TestCa;
let good: HttpsHost;
let served: ServedServer;
const resolverLedger: ResolverLedger = { hung: 0 };
let goodClients = 0;

/** A new public client on the good host: its first sign-in has to fetch its document. */
function freshGoodClient(): string {
  goodClients += 1;
  const path = `/good/${goodClients}/client.json`;
  const clientId = `${good.origin}${path}`;
  good.route(path, json(validDocument(clientId)));
  return clientId;
}

/** One round of legitimate traffic, all at once: a sign-in of a new client, /health, /jwks, /token. */
async function legitimateTraffic(): Promise<LegitResult[]> {
  const [premade] = await premadeCodes(served, freshGoodClient(), 1);
  return Promise.all([
    signIn(served.issuer, freshGoodClient()),
    ...serviceEndpoints(served.issuer),
    redeem(served.issuer, premade!),
  ]);
}

beforeAll(async () => {
  ca = createTestCa();
  good = await startHttpsHost(ca);
  served = await serveAuthorizationServer({
    allowPrivateNetwork: true,
    fetchOptions: { ca: ca.caCert, resolver: testResolver(resolverLedger), timeoutMs: DEADLINE_MS },
  });
});

afterAll(async () => {
  await served?.close();
  await good?.close();
  ca?.dispose();
});

/**
 * Starts /authorize for each of `clientIds`, waits until `reached()` says the stalls are under
 * way, runs one round of legitimate traffic, and notes how many stalled requests were still
 * pending when it finished. Then waits for every stalled request to end.
 */
async function stallAndServe(
  clientIds: string[],
  reached: () => boolean,
): Promise<{ legit: LegitResult[]; stillStalled: number; outcomes: Outcome[] }> {
  const pending = clientIds.map((clientId) => startAuthorize(served.issuer, clientId));
  await waitFor(reached, 'the stalled fetches to reach the hostile hosts');
  const legit = await legitimateTraffic();
  const stillStalled = pending.filter((request) => !request.settled).length;
  const outcomes = await Promise.all(pending.map((request) => request.outcome));
  return { legit, stillStalled, outcomes };
}

describe.concurrent('each kind of stall, five at once on distinct origins', () => {
  const STALL_COUNT = 5;

  async function hostileHost(): Promise<StallingHttpsHost> {
    return startStallingHttpsHost(ca, STALL_COUNT);
  }

  it.each<[Stall, string]>([
    ['silent', 'response headers never sent'],
    ['slow-headers', 'response headers sent a byte a second, never finished'],
    ['trickle', 'a 4000-byte body trickled a byte a second'],
  ])(
    '%s (%s): legitimate traffic succeeds meanwhile; each ends by the deadline as invalid_client naming it; every connection is released',
    async (stall) => {
      const host = await hostileHost();
      try {
        const clientIds = Array.from({ length: STALL_COUNT }, (_, i) => `${host.origin(i)}/${stall}/c.json`);
        const run = await stallAndServe(clientIds, () => host.requests[stall] === STALL_COUNT);
        expectAllSucceeded(run.legit);
        expect(run.stillStalled).toBe(STALL_COUNT);
        for (const outcome of run.outcomes) {
          expectClientErrorPage(outcome, TIMED_OUT);
          expect(outcome.status).toBe(400);
          expect(outcome.ms).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
        }
        expect(host.requests[stall]).toBe(STALL_COUNT);
        await waitFor(() => host.openConnections === 0, 'the server to close its connections', SLACK_MS);
      } finally {
        await host.close();
      }
    },
  );

  it('TLS handshake never completed: legitimate traffic succeeds meanwhile; each ends by the deadline as invalid_client; every connection is released', async () => {
    const hole: TlsBlackhole = await startTlsBlackhole(STALL_COUNT);
    try {
      const clientIds = Array.from({ length: STALL_COUNT }, (_, i) => `${hole.origin(i)}/c.json`);
      const run = await stallAndServe(clientIds, () => hole.acceptedConnections === STALL_COUNT);
      expectAllSucceeded(run.legit);
      expect(run.stillStalled).toBe(STALL_COUNT);
      for (const outcome of run.outcomes) {
        expectClientErrorPage(outcome, TIMED_OUT);
        expect(outcome.status).toBe(400);
      }
      // Each connection got its ClientHello and nothing else: no request was ever sent.
      expect(hole.bytesReceived).toBeGreaterThan(0);
      await waitFor(() => hole.openConnections === 0, 'the server to close its connections', SLACK_MS);
    } finally {
      await hole.close();
    }
  });

  it('host name whose lookup never settles (the resolver ignores the abort): legitimate traffic succeeds meanwhile; each ends by the deadline as invalid_client', async () => {
    const before = resolverLedger.hung;
    const tag = randomToken(6)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, 'x');
    const clientIds = Array.from(
      { length: STALL_COUNT },
      (_, i) => `https://n${i}-${tag}.${HANGING_ZONE}/c.json`,
    );
    const run = await stallAndServe(clientIds, () => resolverLedger.hung - before >= STALL_COUNT);
    expectAllSucceeded(run.legit);
    expect(run.stillStalled).toBe(STALL_COUNT);
    for (const outcome of run.outcomes) {
      expectClientErrorPage(outcome, TIMED_OUT);
      expect(outcome.status).toBe(400);
    }
  });

  it('endless body: ends at the 5120-byte cap as invalid_client (too large), while legitimate traffic succeeds; every connection is released', async () => {
    const host = await hostileHost();
    try {
      const clientIds = Array.from({ length: STALL_COUNT }, (_, i) => `${host.origin(i)}/endless/c.json`);
      const [outcomes, legit] = await Promise.all([
        Promise.all(clientIds.map((clientId) => authorize(served.issuer, clientId))),
        legitimateTraffic(),
      ]);
      expectAllSucceeded(legit);
      for (const outcome of outcomes) {
        expectClientErrorPage(outcome, TOO_LARGE);
        expect(outcome.status).toBe(400);
        expect(outcome.ms).toBeLessThan(DEADLINE_MS);
      }
      await waitFor(() => host.openConnections === 0, 'the server to close its connections', SLACK_MS);
    } finally {
      await host.close();
    }
  });
});

describe('many stalls at once', () => {
  it('55 concurrent /authorize naming stalled clients on 55 distinct origins (10 of each stall, 5 endless): three rounds of legitimate traffic succeed meanwhile; all 55 end as 400 invalid_client; no error is logged', async () => {
    const PER_KIND = 10;
    const stalls: Stall[] = ['silent', 'slow-headers', 'trickle'];
    const host = await startStallingHttpsHost(ca, PER_KIND * stalls.length + 5);
    const hole = await startTlsBlackhole(PER_KIND);
    try {
      const hungBefore = resolverLedger.hung;
      const stalledIds = [
        ...stalls.flatMap((stall, k) =>
          Array.from({ length: PER_KIND }, (_, i) => `${host.origin(k * PER_KIND + i)}/${stall}/c.json`),
        ),
        ...Array.from({ length: PER_KIND }, (_, i) => `${hole.origin(i)}/c.json`),
        ...Array.from({ length: PER_KIND }, (_, i) => `https://many-${i}.${HANGING_ZONE}/c.json`),
      ];
      const endlessIds = Array.from(
        { length: 5 },
        (_, i) => `${host.origin(PER_KIND * stalls.length + i)}/endless/c.json`,
      );
      const pending = [...stalledIds, ...endlessIds].map((clientId) =>
        startAuthorize(served.issuer, clientId),
      );
      await waitFor(
        () =>
          stalls.every((stall) => host.requests[stall] === PER_KIND) &&
          hole.acceptedConnections === PER_KIND &&
          resolverLedger.hung - hungBefore >= PER_KIND,
        'every stall to be under way',
      );
      const legit: LegitResult[] = [];
      for (let round = 0; round < 3; round += 1) legit.push(...(await legitimateTraffic()));
      const stillStalled = pending.slice(0, stalledIds.length).filter((request) => !request.settled).length;
      const outcomes = await Promise.all(pending.map((request) => request.outcome));

      expectAllSucceeded(legit);
      expect(legit).toHaveLength(12);
      expect(stillStalled).toBe(stalledIds.length);
      const byStatus = new Map<number, number>();
      for (const outcome of outcomes) byStatus.set(outcome.status, (byStatus.get(outcome.status) ?? 0) + 1);
      expect(Object.fromEntries(byStatus)).toEqual({ 400: 55 });
      outcomes
        .slice(0, stalledIds.length)
        .forEach((outcome) => void expectClientErrorPage(outcome, TIMED_OUT));
      outcomes.slice(stalledIds.length).forEach((outcome) => void expectClientErrorPage(outcome, TOO_LARGE));
      await waitFor(
        () => host.openConnections === 0 && hole.openConnections === 0,
        'the server to close its connections',
        SLACK_MS,
      );
      expect(served.logs.filter((entry) => entry.level === 'error')).toEqual([]);
      // Still answering afterwards.
      expectAllSucceeded(await legitimateTraffic());
    } finally {
      await host.close();
      await hole.close();
    }
  });
});

describe('a stalled key set host', () => {
  it('a private_key_jwt client whose jwks_uri never answers: /token ends by the deadline as 401 invalid_client while other token requests succeed', async () => {
    const host = await startStallingHttpsHost(ca, 1);
    try {
      const { privateKey } = await generateKeyPair('ES256');
      const path = '/good/stalled-keys/client.json';
      const clientId = `${good.origin}${path}`;
      good.route(
        path,
        json({
          ...validDocument(clientId),
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          jwks_uri: `${host.origin(0)}/silent/jwks.json`,
        }),
      );
      const [code] = await premadeCodes(served, clientId, 1);
      const now = Math.floor(Date.now() / 1000);
      const assertion = await new SignJWT({ jti: randomToken(16) })
        .setProtectedHeader({ alg: 'ES256', typ: 'client-authentication+jwt' })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(served.issuer)
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(privateKey);
      const started = performance.now();
      const stalled = fetch(`${served.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: code!.code,
          code_verifier: code!.verifier,
          redirect_uri: 'http://127.0.0.1:51004/callback',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        }),
      });
      await waitFor(() => host.requests.silent === 1, 'the key set fetch to reach the host');
      expectAllSucceeded(await legitimateTraffic());
      const response = await stalled;
      const ms = performance.now() - started;
      const body = (await response.json()) as { error: string; error_description: string };
      expect({ status: response.status, body }).toMatchObject({
        status: 401,
        body: { error: 'invalid_client' },
      });
      expect(body.error_description).toMatch(/did not answer in time|did not complete within/);
      expect(ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
      await waitFor(() => host.openConnections === 0, 'the server to close its connection', SLACK_MS);
    } finally {
      await host.close();
    }
  });
});

describe('stalls on one origin: the per-origin limits (a known limit, see SECURITY.md)', () => {
  it('50 concurrent stalled paths on one origin: at most 4 (the budget) are fetched, the rest are refused at once with 503 temporarily_unavailable and Retry-After; a client on another origin signs in meanwhile', async () => {
    const host = await startStallingHttpsHost(ca, 1);
    try {
      const clientIds = Array.from({ length: 50 }, (_, i) => `${host.origin(0)}/silent/p${i}/c.json`);
      const pending = clientIds.map((clientId) => startAuthorize(served.issuer, clientId));
      // The budget admits its 4 before it refuses anyone: once one request was refused, it is full.
      await waitFor(() => pending.some((request) => request.settled), 'the first refusal');
      // The same origin is out of budget while its fetches stall; another origin is not.
      const sameOrigin = await authorize(served.issuer, `${host.origin(0)}/ok/while-stalled/c.json`);
      const legit = await legitimateTraffic();
      const outcomes = await Promise.all(pending.map((request) => request.outcome));

      expectAllSucceeded(legit);
      expectClientErrorPage(sameOrigin, TIMED_OUT);
      expect(sameOrigin.status).toBe(503);
      const timedOut = outcomes.filter((outcome) => outcome.status === 400);
      const refused = outcomes.filter((outcome) => outcome.status === 503);
      expect(timedOut.length + refused.length).toBe(50);
      expect(timedOut.length).toBeGreaterThanOrEqual(1);
      expect(timedOut.length).toBeLessThanOrEqual(4);
      for (const outcome of outcomes) expectClientErrorPage(outcome, TIMED_OUT);
      for (const outcome of refused) {
        expect(outcome.text).toContain('too many client metadata fetches from this host');
        expect(outcome.ms).toBeLessThan(DEADLINE_MS);
      }
      // Only the admitted fetches ever reached the host (queued ones may give up before their turn).
      expect(host.requests.silent).toBeLessThanOrEqual(4);
      await waitFor(() => host.openConnections === 0, 'the server to close its connections', SLACK_MS);
      // Once the stalls are over, a real client on that origin signs in again.
      expectAllSucceeded([await signIn(served.issuer, `${host.origin(0)}/ok/after-stall/c.json`)]);
    } finally {
      await host.close();
    }
  });

  it('a fetch queued behind a stall on the same origin (one connection per origin) waits for the stall to give up, and ends by its own deadline: never hangs', async () => {
    const host = await startStallingHttpsHost(ca, 1);
    try {
      const stalled = startAuthorize(served.issuer, `${host.origin(0)}/silent/queue/c.json`);
      await waitFor(() => host.requests.silent === 1, 'the stalled fetch to reach the host');
      // Asked a second into the stall, the valid document's fetch has time left when its turn comes.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const queued = await authorize(served.issuer, `${host.origin(0)}/ok/queued/c.json`);
      expectClientErrorPage(await stalled.outcome, TIMED_OUT);
      expect(queued.ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
      if (queued.status === 200) expect(queued.text).toContain('name="interaction"');
      else expectClientErrorPage(queued, TIMED_OUT);
      // The known limit: it waited for the stalled fetch's connection. Should this fail because
      // the fetcher no longer queues per origin, update SECURITY.md ("Known limits").
      expect(queued.ms).toBeGreaterThan(DEADLINE_MS / 2);
    } finally {
      await host.close();
    }
  });
});
