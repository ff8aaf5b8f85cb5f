/**
 * Issue 9, "stalled DNS" (flaw 6: a few stalled names starved everyone): the real authorization
 * server with its production network rules (no `allowPrivateNetwork`), served on 127.0.0.1, asked
 * for `client_id`s whose host names never resolve. Two kinds of stall:
 *
 * - an injected resolver whose lookups never settle and ignore their abort signal;
 * - the c-ares resolver of `src/fetch/dns.ts` asking a DNS server on 127.0.0.1 that never replies
 *   to the stalled names (the same server answers names in `ok.example.com` with 127.0.0.1 at
 *   once).
 *
 * While 50 lookups stall, legitimate traffic keeps succeeding: sign-ins of a registered client,
 * /health, /jwks, /token; and other names still resolve at once (a `client_id` on
 * `*.ok.example.com` resolves to 127.0.0.1 and is refused as non-public in no time, where a
 * starved resolver would make it wait for the deadline). Each stalled request ends with a clear
 * error page by the deadline plus slack, and a second wave behaves like the first (the stalled
 * lookups gave their slots back). A flood beyond the resolver's concurrency (100 stalled names
 * for 64 lookup slots) pins the known limit: nobody hangs, but other names wait for a slot. No
 * name is ever resolved by the machine's resolver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsResolver } from '../../../src/fetch/dns.js';
import { type DnsResponder, startDnsResponder } from '../../fetch/dns-responder.js';
import {
  authorize,
  DEADLINE_MS,
  expectAllSucceeded,
  expectClientErrorPage,
  HANGING_ZONE,
  LEGIT_BOUND_MS,
  type LegitResult,
  type Outcome,
  premadeCodes,
  type ResolverLedger,
  redeem,
  registerClient,
  type ServedServer,
  serveAuthorizationServer,
  serviceEndpoints,
  signIn,
  startAuthorize,
  testResolver,
  waitFor,
} from './harness.js';

const TIMED_OUT = new RegExp(`did not complete within ${DEADLINE_MS} ms`);
const REFUSED_AS_NON_PUBLIC = /only hosts on the public internet are fetched/;
const ANSWERED_ZONE = 'ok.example.com';
const SILENT_ZONE = 'silent.example.com';
const STALLS = 50;

let dns: DnsResponder;
let served: ServedServer;
let registered: string;
const ledger: ResolverLedger = { hung: 0 };
let wave = 0;

beforeAll(async () => {
  dns = await startDnsResponder();
  // The c-ares resolver's own deadline is far beyond the fetch's: the fetch's deadline, and its
  // abort of the lookup, is what ends a stalled name here.
  const cares = createDnsResolver({ servers: [dns.server], hostsFile: false, timeoutMs: 60_000 });
  served = await serveAuthorizationServer({
    fetchOptions: { resolver: testResolver(ledger, cares), timeoutMs: DEADLINE_MS },
  });
  registered = await registerClient(served.issuer);
});

afterAll(async () => {
  await served?.close();
  await dns?.close();
});

/** Legitimate traffic: two sign-ins of the registered client, /health, /jwks, /token. */
async function legitimateTraffic(): Promise<LegitResult[]> {
  const [premade] = await premadeCodes(served, registered, 1);
  return Promise.all([
    signIn(served.issuer, registered),
    signIn(served.issuer, registered),
    ...serviceEndpoints(served.issuer),
    redeem(served.issuer, premade!),
  ]);
}

/**
 * `count` client_ids on distinct names of `zone`, new for every wave: the DNS server never
 * answers names of {@link SILENT_ZONE} and answers those of {@link ANSWERED_ZONE} with 127.0.0.1.
 */
function clientIdsIn(zone: string, count: number): string[] {
  wave += 1;
  return Array.from({ length: count }, (_, i) => {
    const name = `w${wave}-n${i}.${zone}`;
    if (zone === SILENT_ZONE) dns.stall(name);
    else dns.answer(name, '127.0.0.1');
    return `https://${name}/client.json`;
  });
}

/** Whether the DNS server was asked for every name of `clientIds`. */
function askedForAll(clientIds: string[]): boolean {
  return clientIds.every((clientId) => dns.queriesFor(new URL(clientId).hostname) > 0);
}

/** How many of `clientIds`' names the DNS server was asked for. */
function askedFor(clientIds: string[]): number {
  return clientIds.filter((clientId) => dns.queriesFor(new URL(clientId).hostname) > 0).length;
}

/**
 * Starts /authorize for the stalled client_ids, waits until `reached()`, then runs legitimate
 * traffic and, when `answeredIds` are given, /authorize for names the DNS server answers.
 */
async function stallAndServe(
  stalledIds: string[],
  reached: () => boolean,
  answeredIds: string[] = [],
): Promise<{ legit: LegitResult[]; answered: Outcome[]; stillStalled: number; outcomes: Outcome[] }> {
  const pending = stalledIds.map((clientId) => startAuthorize(served.issuer, clientId));
  await waitFor(reached, 'the stalled lookups to start');
  const [legit, answered] = await Promise.all([
    legitimateTraffic(),
    Promise.all(answeredIds.map((clientId) => authorize(served.issuer, clientId))),
  ]);
  const stillStalled = pending.filter((request) => !request.settled).length;
  const outcomes = await Promise.all(pending.map((request) => request.outcome));
  return { legit, answered, stillStalled, outcomes };
}

function expectAllTimedOut(outcomes: Outcome[]): void {
  expect(outcomes).toHaveLength(STALLS);
  for (const outcome of outcomes) {
    expectClientErrorPage(outcome, TIMED_OUT);
    expect(outcome.status).toBe(400);
  }
}

describe('a resolver whose lookups never settle', () => {
  it('50 concurrent /authorize on distinct never-resolving names: legitimate traffic succeeds meanwhile; all 50 end by the deadline as 400 invalid_client naming the timeout', async () => {
    const before = ledger.hung;
    const run = await stallAndServe(clientIdsIn(HANGING_ZONE, STALLS), () => ledger.hung - before >= STALLS);
    expectAllSucceeded(run.legit);
    expect(run.stillStalled).toBe(STALLS);
    expectAllTimedOut(run.outcomes);
    expect(served.logs.filter((entry) => entry.level === 'error')).toEqual([]);
  });
});

describe('the c-ares resolver and a DNS server on 127.0.0.1 that never replies', () => {
  it.each([1, 2])(
    'wave %i: 50 concurrent /authorize on distinct unanswered names; legitimate traffic and other names resolve meanwhile; all 50 end by the deadline as 400 invalid_client',
    async () => {
      const stalledIds = clientIdsIn(SILENT_ZONE, STALLS);
      const answeredIds = clientIdsIn(ANSWERED_ZONE, 5);
      const run = await stallAndServe(stalledIds, () => askedForAll(stalledIds), answeredIds);

      expectAllSucceeded(run.legit);
      // Other names still resolve at once: 127.0.0.1, refused as non-public without waiting.
      for (const outcome of run.answered) {
        expectClientErrorPage(outcome, REFUSED_AS_NON_PUBLIC);
        expect(outcome.ms).toBeLessThan(LEGIT_BOUND_MS);
      }
      expect(run.stillStalled).toBe(STALLS);
      expectAllTimedOut(run.outcomes);
      expect(served.logs.filter((entry) => entry.level === 'error')).toEqual([]);
    },
  );

  it("a flood beyond the resolver's 64 lookups at once (100 unanswered names): nobody hangs, every request ends by the deadline as 400 invalid_client, sign-ins that need no lookup keep working, and names resolve at once again afterwards", async () => {
    const stalledIds = clientIdsIn(SILENT_ZONE, 100);
    const answeredIds = clientIdsIn(ANSWERED_ZONE, 5);
    const run = await stallAndServe(stalledIds, () => askedFor(stalledIds) >= 64, answeredIds);
    expectAllSucceeded(run.legit);
    // The known limit (SECURITY.md): while every lookup slot is held by a stalled name, other
    // names wait for a slot, so they may fail too; but they end by the deadline.
    for (const outcome of run.answered) {
      expectClientErrorPage(
        outcome,
        /did not complete within|could not resolve|only hosts on the public internet/,
      );
      expect(outcome.status).toBe(400);
    }
    expect(run.outcomes).toHaveLength(100);
    for (const outcome of run.outcomes) {
      expectClientErrorPage(outcome, /did not complete within|could not resolve/);
      expect(outcome.status).toBe(400);
    }
    // The stalled lookups gave their slots back.
    for (const clientId of clientIdsIn(ANSWERED_ZONE, 5)) {
      const outcome = await authorize(served.issuer, clientId);
      expectClientErrorPage(outcome, REFUSED_AS_NON_PUBLIC);
      expect(outcome.ms).toBeLessThan(LEGIT_BOUND_MS);
    }
  });
});
