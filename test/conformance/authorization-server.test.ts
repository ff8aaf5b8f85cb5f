/**
 * The MCP conformance suite's `authorization` command (`@modelcontextprotocol/conformance`
 * 0.2.0-alpha.12, which needs Node 22: npx downloads it on first use, hence the long timeout)
 * against OUR authorization server: `createAuthorizationServer` with the development login and a
 * memory store, served by @hono/node-server on 127.0.0.1, issuer `http://127.0.0.1:<port>`.
 *
 * The `client_id` is a REAL client metadata document on an HTTPS loopback host (a throwaway CA):
 * the server fetches and validates it when the suite's authorization URL arrives. The suite runs
 * both scenarios in sequence: `authorization-server-metadata-endpoint` (the metadata, including
 * `issuer` exactly equal to `--url` and `client_id_metadata_document_supported`), then
 * `authorization-code-grant`, which prints an authorization URL for a human and waits for the
 * callback on `http://127.0.0.1:<port>/callback`. This test plays the human with
 * `approveAuthorization` (test/helpers/approve.ts): it opens the URL (the dev login signs in),
 * approves on the consent page (its hidden fields, CSRF cookie and a same-origin `Origin`), and
 * follows the 303 to the suite's callback listener; the suite then redeems the code at `/token`
 * (`none`, PKCE, `resource`) and checks the response.
 *
 * The suite's closing summary counts passes and failures only, and its exit code depends on
 * failures only, so the test also reads every `checks.json` it writes (`-o`) and requires each
 * check to be SUCCESS: a WARNING fails the test. Set CIMD_SKIP_CONFORMANCE=1 to skip it where the
 * npm registry cannot be reached.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthorizationServer, createAuthorizationServer, devLogin } from '../../src/server/index.js';
import { createMemoryStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/store.js';
import { createTestCa, type HttpsHost, json, startHttpsHost, type TestCa } from '../../src/testing/index.js';
import { approveAuthorization } from '../helpers/approve.js';

const SUITE = '@modelcontextprotocol/conformance@0.2.0-alpha.12';
const SCENARIOS = ['authorization-server-metadata-endpoint', 'authorization-code-grant'] as const;
/** How long the suite may run, first download included (the test's own timeout is a little longer). */
const DEADLINE_MS = 230_000;

/** A port that was free a moment ago on 127.0.0.1 (bound on 0, then released). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** The running suite: its combined output so far, and its exit. */
interface SuiteRun {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first stdout line that starts with `prefix`; rejects if the suite exits first. */
  lineStartingWith(prefix: string): Promise<string>;
  exit: Promise<number | null>;
  /** Ends the suite and everything it started (its own process group). */
  kill(): void;
}

function startSuite(args: string): SuiteRun {
  const child = spawn(
    'npx',
    ['-y', '-p', 'node@22', '-p', SUITE, '-c', `conformance authorization ${args}`],
    {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let output = '';
  let pending = '';
  const waiters: { prefix: string; resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  const lines: string[] = [];
  const offer = (line: string) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (line.startsWith(waiter.prefix)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts) offer(part.replace(/\r$/, ''));
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exit = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending !== '') offer(pending);
      for (const waiter of waiters.splice(0)) {
        waiter.reject(
          new Error(`the suite exited (code ${code}) before printing a line starting with ${waiter.prefix}`),
        );
      }
      resolve(code);
    });
  });
  const kill = () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  const timer = setTimeout(kill, DEADLINE_MS);
  void exit.finally(() => clearTimeout(timer)).catch(() => undefined);
  return {
    child,
    output: () => output,
    lineStartingWith: (prefix) => {
      const seen = lines.find((line) => line.startsWith(prefix));
      if (seen !== undefined) return Promise.resolve(seen);
      if (child.exitCode !== null || child.signalCode !== null) {
        return Promise.reject(new Error(`the suite exited before printing a line starting with ${prefix}`));
      }
      return new Promise((resolve, reject) => waiters.push({ prefix, resolve, reject }));
    },
    exit,
    kill,
  };
}

interface Check {
  id: string;
  status: string;
  errorMessage?: string;
}

/** The checks of every scenario the suite saved under `dir` (one folder per scenario). */
function savedChecks(dir: string): Map<string, Check[]> {
  const result = new Map<string, Check[]>();
  for (const entry of readdirSync(dir)) {
    const scenario = SCENARIOS.find((name) => entry.startsWith(`authorization-server-${name}-`));
    if (scenario === undefined) continue;
    const checks = JSON.parse(readFileSync(join(dir, entry, 'checks.json'), 'utf8')) as Check[];
    result.set(scenario, checks);
  }
  return result;
}

describe('MCP conformance suite, `authorization` command against our authorization server', () => {
  const skip = process.env.CIMD_SKIP_CONFORMANCE === '1';
  if (skip) {
    console.warn(
      'test/conformance/authorization-server.test.ts is SKIPPED: CIMD_SKIP_CONFORMANCE=1 (unset it to run the MCP conformance suite, which npx fetches from the npm registry)',
    );
  }

  let ca: TestCa;
  let host: HttpsHost;
  let store: Store;
  let server: AuthorizationServer;
  let http: Server;
  let issuer: string;
  let resource: string;
  let clientId: string;
  let outputDir: string;
  let suite: SuiteRun | undefined;

  beforeAll(async () => {
    if (skip) return;
    ca = createTestCa();
    host = await startHttpsHost(ca);
    clientId = `${host.origin}/oauth/client-metadata.json`;
    host.route(
      '/oauth/client-metadata.json',
      json({
        client_id: clientId,
        client_name: 'MCP conformance suite',
        redirect_uris: ['http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      }),
    );

    let handler: ((request: Request) => Promise<Response>) | undefined;
    const listening = new Promise<AddressInfo>((resolve) => {
      http = serve(
        {
          fetch: (request: Request) =>
            handler ? handler(request) : Promise.resolve(new Response('starting', { status: 503 })),
          port: 0,
          hostname: '127.0.0.1',
        },
        (info) => resolve(info),
      ) as Server;
    });
    issuer = `http://127.0.0.1:${(await listening).port}`;
    resource = `http://127.0.0.1:${await freePort()}/mcp`;
    store = createMemoryStore();
    server = createAuthorizationServer({
      issuer,
      resources: [resource],
      store,
      authenticator: devLogin(),
      clients: { allowPrivateNetwork: true, fetchOptions: { ca: ca.caCert } },
    });
    handler = server.fetch;
    outputDir = mkdtempSync(join(tmpdir(), 'cimd-conformance-as-'));
  });

  afterAll(async () => {
    suite?.kill();
    if (http !== undefined) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
    await server?.close();
    await store?.close();
    await host?.close();
    ca?.dispose();
    if (outputDir !== undefined) rmSync(outputDir, { recursive: true, force: true });
  });

  it.skipIf(skip)(
    'passes the metadata and authorization-code-grant scenarios with no failure and no warning',
    { timeout: 240_000 },
    async () => {
      const metadata = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as {
        authorization_endpoint: string;
      };
      const callbackPort = await freePort();
      const run = startSuite(
        [
          `--url '${issuer}'`,
          `--client-id '${clientId}'`,
          `--port ${callbackPort}`,
          `--resource '${resource}'`,
          `-o '${outputDir}'`,
        ].join(' '),
      );
      suite = run;
      try {
        const authorizationUrl = await run.lineStartingWith(`${metadata.authorization_endpoint}?`);
        // The suite starts its callback listener as it prints the URL: play the user once it listens.
        await run.lineStartingWith(`Callback server started: http://127.0.0.1:${callbackPort}`);
        const { callback, status } = await approveAuthorization(authorizationUrl);
        expect(`${callback.origin}${callback.pathname}`).toBe(`http://127.0.0.1:${callbackPort}/callback`);
        expect(callback.searchParams.get('iss')).toBe(issuer);
        expect(status, 'the suite received the callback').toBe(200);
        expect(
          host.hits.get('/oauth/client-metadata.json'),
          'the server fetched the client metadata document',
        ).toBeGreaterThan(0);

        const code = await run.exit;
        const output = run.output();
        const summary = output.slice(output.lastIndexOf('=== SUMMARY ==='));
        expect(summary, output).toMatch(/✓ authorization-server-metadata-endpoint: 2 passed, 0 failed/);
        expect(summary, output).toMatch(/✓ authorization-code-grant: 1 passed, 0 failed/);
        expect(summary, output).toMatch(/Total: 3 passed, 0 failed/);
        expect(code, output).toBe(0);

        const checks = savedChecks(outputDir);
        expect([...checks.keys()].sort(), output).toEqual([...SCENARIOS].sort());
        const all = [...checks.values()].flat();
        expect(
          all.map((check) => check.id),
          output,
        ).toEqual(
          expect.arrayContaining([
            'authorization-server-metadata',
            'authorization-server-metadata-cimd',
            'authorization-code-grant',
          ]),
        );
        const notSuccess = all.filter((check) => check.status !== 'SUCCESS');
        expect(notSuccess, `${JSON.stringify(all, null, 2)}\n${output}`).toEqual([]);
      } catch (error) {
        run.kill();
        await run.exit.catch(() => undefined);
        console.error(`The conformance suite's output:\n${run.output()}`);
        throw error;
      } finally {
        run.kill();
      }
    },
  );
});
