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
 * check to be SUCCESS: a WARNING fails the test (`expectCleanRun` in suite.ts). Set
 * CIMD_SKIP_CONFORMANCE=1 to skip it where the npm registry cannot be reached.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthorizationServer, createAuthorizationServer, devLogin } from '../../src/server/index.js';
import { createMemoryStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/store.js';
import { createTestCa, type HttpsHost, startHttpsHost, type TestCa } from '../../src/testing/index.js';
import { approveAuthorization } from '../helpers/approve.js';
import { freePort } from '../serve/served.js';
import { hostSuiteClientDocument, runAuthorizationSuite, type SuiteRun, skipConformance } from './suite.js';

describe('MCP conformance suite, `authorization` command against our authorization server', () => {
  const skip = skipConformance('test/conformance/authorization-server.test.ts');

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
    clientId = hostSuiteClientDocument(host);

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
      await runAuthorizationSuite({
        issuer,
        clientId,
        resource,
        outputDir,
        user: approveAuthorization,
        started: (run) => {
          suite = run;
        },
      });
      expect(
        host.hits.get('/oauth/client-metadata.json'),
        'the server fetched the client metadata document',
      ).toBeGreaterThan(0);
    },
  );
});
