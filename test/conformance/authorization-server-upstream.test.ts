/**
 * The MCP conformance suite's `authorization` command (see `suite.ts`: pinned, Node 22 through
 * npx, CIMD_SKIP_CONFORMANCE=1 to skip) against the BUILT `cimd serve` signing users in at an
 * upstream identity provider: `--upstream oidc` in front of a real OpenID provider on loopback
 * (oidc-provider, `startUpstreamIdp`), memory store, issuer `http://127.0.0.1:<port>`.
 *
 * The `client_id` is a real client metadata document on an HTTPS loopback host (a throwaway CA,
 * trusted by the server through NODE_EXTRA_CA_CERTS; `--allow-private-network` for the loopback
 * host). The suite prints an authorization URL for a human and waits on its callback listener;
 * the human is played by a cookie-jar browser (`signInThroughProxy`): our consent page (approve),
 * the provider's login as `demo-user`, our `/upstream/callback`, and the redirect to the suite's
 * callback, which is then delivered. The suite redeems the code at `/token` and checks it; every
 * check it saves must be SUCCESS (0 failures, 0 warnings).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamIdp } from '../../src/demo/upstream-idp.js';
import { createTestCa, type HttpsHost, startHttpsHost, type TestCa } from '../../src/testing/index.js';
import { requireBuiltBin } from '../helpers/run-cli.js';
import { freePort, killAll, type Served, serve } from '../serve/served.js';
import { idpForServe, oidcFlags } from '../serve/upstreams.js';
import { CookieJar, signInThroughProxy } from '../server/upstream/harness.js';
import { hostSuiteClientDocument, runAuthorizationSuite, type SuiteRun, skipConformance } from './suite.js';

describe('MCP conformance suite, `authorization` command against cimd serve --upstream oidc', () => {
  const skip = skipConformance('test/conformance/authorization-server-upstream.test.ts');

  let ca: TestCa;
  let host: HttpsHost;
  let idp: UpstreamIdp;
  let served: Served;
  let issuer: string;
  let resource: string;
  let clientId: string;
  let dir: string;
  let suite: SuiteRun | undefined;

  beforeAll(async () => {
    if (skip) return;
    requireBuiltBin();
    dir = mkdtempSync(join(tmpdir(), 'cimd-conformance-upstream-'));
    ca = createTestCa();
    host = await startHttpsHost(ca);
    clientId = hostSuiteClientDocument(host);
    let port: number;
    ({ idp, port, issuer } = await idpForServe());
    resource = `http://127.0.0.1:${await freePort()}/mcp`;
    served = await serve(
      [
        ...['--port', String(port), '--store', 'memory', '--resource', resource, '--allow-private-network'],
        ...oidcFlags(idp),
      ],
      {
        cwd: dir,
        env: { CIMD_UPSTREAM_CLIENT_SECRET: idp.clientSecret ?? '', NODE_EXTRA_CA_CERTS: ca.caCertPath },
      },
    );
  }, 60_000);

  afterAll(async () => {
    suite?.kill();
    if (served !== undefined) await served.stop().catch(() => killAll());
    await idp?.close();
    await host?.close();
    ca?.dispose();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(skip)(
    'passes the metadata and authorization-code-grant scenarios with no failure and no warning',
    { timeout: 240_000 },
    async () => {
      expect(served.listening).toMatchObject({ issuer, login: 'upstream' });
      await runAuthorizationSuite({
        issuer,
        clientId,
        resource,
        outputDir: join(dir, 'results'),
        async user(authorizationUrl) {
          const back = await signInThroughProxy(new CookieJar(), authorizationUrl, 'demo-user');
          expect(back.status).toBe(303);
          const callback = new URL(back.headers.get('location') ?? '');
          expect(callback.searchParams.get('code')).toEqual(expect.any(String));
          const delivered = await fetch(callback, { redirect: 'manual' });
          await delivered.body?.cancel();
          return { callback, status: delivered.status };
        },
        started: (run) => {
          suite = run;
        },
        diagnostics: () => `\ncimd serve's stderr:\n${served.stderr()}`,
      });
      expect(host.hits.get('/oauth/client-metadata.json'), 'the client document was fetched').toBeGreaterThan(
        0,
      );
      const paths = idp.requests.map((request) => request.path);
      expect(
        paths.some((path) => path.startsWith('/auth')),
        'signed in upstream',
      ).toBe(true);
      expect(paths, 'the upstream code redeemed').toContain('/token');
    },
  );
});
