/**
 * The operations side of the built `cimd serve`: the metrics listener (`--metrics-port`) scraped
 * as requests are made (counts by route pattern, refusals by error code, no raw paths), `/health`
 * and `/ready` on both listeners, the audit file (`--audit file:`) of a real sign-in, and a
 * graceful SIGTERM that lets a slow request in flight finish while `/ready` answers 503.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { approveAuthorization } from '../helpers/approve.js';
import { requireBuiltBin } from '../helpers/run-cli.js';
import { killAll, type Served, serve as serveBin } from './served.js';

const RESOURCE = 'http://127.0.0.1:4001/mcp';
const dir = mkdtempSync(join(tmpdir(), 'cimd-ops-test-'));
const servers: Server[] = [];

/** A loopback http server answering with `handler`. */
async function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A public client document for `clientId`, redirecting to a loopback callback. */
function documentFor(clientId: string): string {
  return JSON.stringify({
    client_id: clientId,
    client_name: 'Ops test client',
    redirect_uris: ['http://127.0.0.1/callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  });
}

function serve(args: string[]): Promise<Served> {
  return serveBin(
    [
      '--port',
      '0',
      '--store',
      'memory',
      '--resource',
      RESOURCE,
      '--metrics-port',
      '0',
      '--dangerously-allow-http-client-ids',
      ...args,
    ],
    { cwd: dir },
  );
}

function metricsUrl(served: Served): string {
  const url = served.listening.metrics;
  if (typeof url !== 'string') throw new Error('the listening line names no metrics URL');
  return url;
}

/** The value of the sample `name{labels}` (labels in any order) in a scrape, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]),
    );
    if (Object.entries(labels).every(([label, value]) => found[label] === value)) return Number(match[3]);
  }
  return 0;
}

async function scrape(served: Served): Promise<string> {
  const response = await fetch(metricsUrl(served));
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

/** GETs `url` on a connection of its own (`Connection: close`): status and body. */
function getOnce(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

beforeAll(() => requireBuiltBin());
afterEach(async () => {
  killAll();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cimd serve operations (the built bin)', () => {
  it('serves metrics on their own listener, counting by route pattern and refusal code; audit to stdout', async () => {
    const served = await serve(['--audit', 'stdout']);
    const main = served.listening.url;
    expect(metricsUrl(served)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(metricsUrl(served)).port).not.toBe(new URL(main).port);
    const first = await scrape(served);
    expect(first).toContain('cimd_process_cpu_seconds_total');
    const healthBefore = sample(first, 'cimd_http_requests_total', {
      method: 'GET',
      route: '/health',
      status: '200',
    });

    for (let i = 0; i < 2; i += 1) expect((await fetch(`${main}/health`)).status).toBe(200);
    expect((await fetch(`${main}/no/such/thing-7f3e9a`)).status).toBe(404);
    const refused = await fetch(`${main}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password&username=a&password=b',
    });
    expect(refused.status).toBe(400);

    const after = await scrape(served);
    expect(
      sample(after, 'cimd_http_requests_total', { method: 'GET', route: '/health', status: '200' }),
    ).toBe(healthBefore + 2);
    expect(
      sample(after, 'cimd_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }),
    ).toBe(1);
    expect(
      sample(after, 'cimd_http_requests_total', { method: 'POST', route: '/token', status: '400' }),
    ).toBe(1);
    expect(sample(after, 'cimd_tokens_refused_total', { error: 'unsupported_grant_type' })).toBe(1);
    expect(after).not.toContain('thing-7f3e9a');

    // --audit stdout: the audit event is a JSON line beside the logs.
    for (let i = 0; i < 200 && !served.lines.some((line) => line.type === 'token.refused'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(served.lines.find((line) => line.type === 'token.refused')).toMatchObject({
      version: 1,
      error: 'unsupported_grant_type',
    });

    // The metrics listener answers /health and /ready, and nothing else.
    const metricsOrigin = new URL(metricsUrl(served)).origin;
    expect(await (await fetch(`${metricsOrigin}/health`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${metricsOrigin}/ready`)).json()).toEqual({ status: 'ready' });
    expect((await fetch(`${metricsOrigin}/token`)).status).toBe(404);
    expect(await (await fetch(`${main}/ready`)).json()).toEqual({ status: 'ready' });
    expect(await served.stop('SIGTERM')).toBe(0);
  });

  it('writes the audit file of a real sign-in (mode 0600), with no token anywhere in it', async () => {
    const documents = await httpServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(documentFor(`http://127.0.0.1:${req.socket.localPort}${req.url}`));
    });
    const callback = await httpServer((_req, res) => res.end('signed in'));
    const auditPath = join(dir, 'audit.jsonl');
    const served = await serve(['--audit', `file:${auditPath}`]);
    const main = served.listening.url;
    const clientId = `${documents}/client.json`;
    const redirectUri = `${callback}/callback`;
    const verifier = randomBytes(32).toString('base64url');
    const authorization = new URL(`${main}/authorize`);
    authorization.search = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: 'ops-state',
      resource: RESOURCE,
    }).toString();
    const { callback: returned } = await approveAuthorization(authorization);
    const code = returned.searchParams.get('code') ?? '';
    const token = async () =>
      fetch(`${main}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: clientId,
          code,
          code_verifier: verifier,
          redirect_uri: redirectUri,
        }),
      });
    const issued = (await (await token()).json()) as { access_token: string; refresh_token: string };
    expect(typeof issued.access_token).toBe('string');
    expect((await token()).status).toBe(400); // the code replayed
    expect(await served.stop('SIGTERM')).toBe(0);

    expect(statSync(auditPath).mode & 0o777).toBe(0o600);
    const text = readFileSync(auditPath, 'utf8');
    const events = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((event) => event.type)).toEqual([
      'client.first_seen',
      'consent.granted',
      'token.issued',
      'replay.detected',
      'token.refused',
    ]);
    for (const event of events) expect(event).toMatchObject({ version: 1, time: expect.any(String) });
    expect(events[1]).toMatchObject({ client_id: clientId, resource: [RESOURCE], sub: expect.any(String) });
    expect(events[2]).toMatchObject({
      grant_type: 'authorization_code',
      client_id: clientId,
      sub: events[1]?.sub,
      resource: [RESOURCE],
      with_refresh_token: true,
    });
    expect(events[3]).toMatchObject({ kind: 'code', client_id: clientId });
    expect(events[4]).toMatchObject({ error: 'invalid_grant', client_id: clientId });
    for (const secret of [issued.access_token, issued.refresh_token, code, verifier]) {
      expect(text).not.toContain(secret);
    }
  });

  it('drains on SIGTERM: a slow request in flight completes, /ready answers 503 meanwhile', async () => {
    let arrived: () => void = () => {};
    const fetched = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const documents = await httpServer((req, res) => {
      arrived();
      void released.then(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(documentFor(`http://127.0.0.1:${req.socket.localPort}${req.url}`));
      });
    });
    const served = await serve(['--shutdown-timeout', '30']);
    const metricsOrigin = new URL(metricsUrl(served)).origin;
    const authorization = new URL(`${served.listening.url}/authorize`);
    authorization.search = new URLSearchParams({
      response_type: 'code',
      client_id: `${documents}/slow.json`,
      redirect_uri: 'http://127.0.0.1:53999/callback',
      code_challenge: createHash('sha256').update('x'.repeat(43)).digest('base64url'),
      code_challenge_method: 'S256',
      resource: RESOURCE,
    }).toString();
    const inFlight = getOnce(authorization.href);
    await fetched; // the server is now waiting for the slow document
    const exited = new Promise<number | null>((resolve) => served.child.once('exit', resolve));
    served.child.kill('SIGTERM');
    for (let i = 0; i < 200 && !served.lines.some((line) => line.msg === 'shutting down'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(served.lines.map((line) => line.msg)).toContain('shutting down');
    const ready = await fetch(`${metricsOrigin}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      status: 'unavailable',
      reasons: [expect.stringMatching(/^draining/)],
    });
    release();
    const answered = await inFlight;
    expect(answered.status).toBe(200); // the consent page of the slow client
    expect(answered.body).toContain('Ops test client');
    expect(await exited).toBe(0);
    expect(served.lines.map((line) => line.msg)).toContain('stopped');
  });
});
