/**
 * Property-based fuzzing of every endpoint (issue 9), the fixed-seed slice `npm test` runs: a few
 * thousand hostile but plausible requests against the real authorization server, the OAuth proxy
 * in front of a real OpenID provider, and the protected MCP server's bearer check. The rules are
 * in oracle.ts: no 5xx (but the fetch budget's 503 with Retry-After), no throw, redirects only to
 * validated redirect URIs, no header or markup injection. `npm run fuzz` runs the same property
 * for 100,000 requests and more, with a random seed.
 *
 * A failure prints the shrunk request and the seed; replay it with
 * `CIMD_FUZZ_SEED=<seed> npx vitest run test/security/fuzz`.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { judge } from './oracle.js';
import { type FuzzRequest, materialize } from './requests.js';
import { newStats, runFuzz, show } from './run.js';
import { startWorld, type World } from './world.js';

const SEED = Number(process.env.CIMD_FUZZ_SEED ?? 9_2025_11);
const RUNS = Number(process.env.CIMD_FUZZ_SLICE_RUNS ?? 3000);

let world: World;

beforeAll(async () => {
  world = await startWorld();
}, 60_000);

afterAll(async () => {
  await world?.close();
});

it(`${RUNS} fuzzed requests to every endpoint (seed ${SEED}): no 5xx, no throw, no unvalidated redirect, no injection`, async () => {
  const stats = newStats();
  const { details } = await runFuzz(
    world,
    { seed: SEED, numRuns: RUNS, strict: true, replenishEvery: 1000 },
    stats,
  );
  if (details.failed) {
    const shrunk = details.counterexample?.[0];
    throw new Error(
      [
        `fuzzing found a failure (seed ${SEED}, path ${details.counterexamplePath}); replay with CIMD_FUZZ_SEED=${SEED}`,
        shrunk === undefined ? '' : `request: ${show(shrunk)}`,
        `findings: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
        fc.defaultReportMessage(details),
      ].join('\n'),
    );
  }
  expect(stats.unhandled).toEqual([]);
  // The slice reached real records, not only refusals: tokens, registrations, consent pages,
  // redirects to clients, the resource server letting a real token in.
  const hit = (endpoint: string, status: string) => stats.byEndpoint[endpoint]?.[status] ?? 0;
  expect(stats.requests).toBe(RUNS);
  expect(hit('as POST /token', '200')).toBeGreaterThan(0);
  expect(hit('as POST /register', '201')).toBeGreaterThan(0);
  expect(hit('as GET /authorize', '200')).toBeGreaterThan(0);
  expect(hit('as GET /authorize', '303')).toBeGreaterThan(0);
  expect(hit('resource GET /mcp', '200') + hit('resource POST /mcp', '200')).toBeGreaterThan(0);
}, 300_000);

it('the oracle is not vacuous: it catches a 5xx, a 503 without Retry-After, open redirects and markup', () => {
  const authorize = (params: [string, string][]): FuzzRequest => ({
    target: 'as',
    method: 'GET',
    path: '/authorize',
    query: params,
    headers: [],
  });
  const kinds = (fuzz: FuzzRequest, response: Response, body = '') =>
    judge(world, fuzz, materialize(world, fuzz), response, body).map((finding) => finding.kind);
  const iss = encodeURIComponent('http://127.0.0.1:4000');
  const redirect = (location: string) => new Response(null, { status: 303, headers: { location } });
  const html = (body: string) => new Response(body, { headers: { 'content-type': 'text/html' } });
  const health: FuzzRequest = { target: 'as', method: 'GET', path: '/health', query: [], headers: [] };
  const publicClient = authorize([
    ['client_id', '{{client:public}}'],
    ['redirect_uri', 'http://127.0.0.1:5555/callback'],
  ]);

  expect(
    kinds(health, new Response('{"error":"server_error"}', { status: 500 }), '{"error":"server_error"}'),
  ).toEqual(['5xx']);
  const unavailable = '{"error":"temporarily_unavailable"}';
  expect(kinds(health, new Response(unavailable, { status: 503 }), unavailable)).toEqual(['5xx']);
  expect(
    kinds(health, new Response(unavailable, { status: 503, headers: { 'retry-after': '30' } }), unavailable),
  ).toEqual([]);
  // The registered URI that was requested (any loopback port), with iss: fine.
  expect(kinds(publicClient, redirect(`http://127.0.0.1:5555/callback?code=x&iss=${iss}`))).toEqual([]);
  // Elsewhere, without iss, or to a port the request did not name: not fine.
  expect(kinds(publicClient, redirect(`https://evil.fuzz.test/cb?iss=${iss}`))).toEqual(['redirect']);
  expect(kinds(publicClient, redirect('http://127.0.0.1:5555/callback?code=x'))).toEqual(['redirect']);
  expect(kinds(publicClient, redirect(`http://127.0.0.1:80/callback?iss=${iss}`))).toEqual(['redirect']);
  // No redirect_uri: only a client's single complete URI (issue 9 flaw 2), never a portless loopback one.
  const loopbackOnly = authorize([['client_id', '{{client:loopback}}']]);
  expect(kinds(loopbackOnly, redirect(`http://127.0.0.1/callback?error=x&iss=${iss}`))).toEqual(['redirect']);
  const singleOnly = authorize([['client_id', '{{client:single}}']]);
  expect(kinds(singleOnly, redirect(`https://single.fuzz.test/cb?error=x&iss=${iss}`))).toEqual([]);
  // Our own origin is always fine; markup from the request is not.
  expect(kinds(loopbackOnly, redirect('/consent'))).toEqual([]);
  expect(kinds(health, html('<p>"><fz-x></p>'), '<p>"><fz-x></p>')).toEqual(['markup-injection']);
  expect(kinds(health, html('<p>&quot;&gt;&lt;fz-x&gt;</p>'), '<p>&quot;&gt;&lt;fz-x&gt;</p>')).toEqual([]);
});
