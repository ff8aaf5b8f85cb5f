/**
 * `cimd connect --client-credentials --dpop` (the built bin) against `cimd serve --dpop-required
 * --dpop-nonce` (the built bin) and a real SDK MCP server behind `requireBearer` with DPoP nonces:
 * the agent's token is bound to its DPoP key (`cnf.jkt`) and every request carries a fresh proof,
 * through the nonce round trips at both servers. Without `--dpop`, the sign-in is refused
 * (`invalid_dpop_proof`).
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientMetadata } from '../../src/document/create.js';
import { createKeySet, generateClientKey, publicJwks, saveKeySet } from '../../src/keys/index.js';
import { protectedResourceMetadataRouter, requireBearer } from '../../src/server/express.js';
import {
  createAccessTokenVerifier,
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
} from '../../src/server/index.js';
import { type HttpsHost, json, startHttpsHost } from '../helpers/https-host.js';
import { handleStatelessSdk1 } from '../helpers/mcp-sdk1.js';
import { requireBuiltBin, runCimd } from '../helpers/run-cli.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';
import { freePort, killAll, type Served, serve } from '../serve/served.js';

const SCOPE = 'mcp:tools';
const dir = mkdtempSync(join(tmpdir(), 'cimd-connect-dpop-'));

let ca: TestCa;
let host: HttpsHost;
let mcp: Server;
let resource: string;
let served: Served | undefined;
let clientId: string;
let keyFile: string;

beforeAll(async () => {
  requireBuiltBin();
  ca = createTestCa();
  host = await startHttpsHost(ca);
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;

  mcp = createServer();
  mcp.listen(0, '127.0.0.1');
  await once(mcp, 'listening');
  resource = `http://127.0.0.1:${(mcp.address() as AddressInfo).port}/mcp`;
  const app = express();
  app.use(
    protectedResourceMetadataRouter(
      protectedResourceMetadata({ resource, authorizationServers: [issuer], scopesSupported: [SCOPE] }),
    ),
  );
  app.use(express.json());
  app.post(
    '/mcp',
    requireBearer({
      verifier: createAccessTokenVerifier({ issuer, audience: resource, jwks: new URL(`${issuer}/jwks`) }),
      resourceMetadataUrl: protectedResourceMetadataUrl(resource),
      requiredScopes: [SCOPE],
      dpop: { nonce: true },
    }),
    async (req, res) => {
      const server = new McpServer({ name: 'cli-dpop-agents', version: '1.0.0' });
      server.registerTool('whoami', { description: 'The token client and its key binding' }, (extra) => {
        const claims = extra.authInfo?.extra?.claims as { cnf?: unknown } | undefined;
        return {
          content: [
            { type: 'text', text: JSON.stringify({ clientId: extra.authInfo?.clientId, cnf: claims?.cnf }) },
          ],
        };
      });
      await handleStatelessSdk1(server, req, res, req.body);
    },
  );
  mcp.on('request', app);

  clientId = `${host.origin}/agent/client.json`;
  const jwksUri = `${host.origin}/agent/jwks.json`;
  const keySet = await createKeySet(await generateClientKey('ES256'), { jwksUri });
  keyFile = join(dir, 'cimd-keys.json');
  await saveKeySet(keyFile, keySet);
  const { document } = createClientMetadata({
    clientId,
    clientName: 'CLI DPoP agent',
    redirectUris: ['http://127.0.0.1/callback'],
    applicationType: 'native',
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwksUri,
    signingAlg: 'ES256',
    grantTypes: ['client_credentials'],
    scope: SCOPE,
    allowPrivateNetwork: true,
  });
  host.route('/agent/client.json', json(document));
  host.route('/agent/jwks.json', json(publicJwks(keySet)));

  served = await serve(
    [
      '--port',
      String(port),
      '--resource',
      resource,
      '--store',
      'memory',
      '--allow-private-network',
      '--allow-client-credentials',
      'localhost',
      '--dpop-required',
      '--dpop-nonce',
    ],
    { cwd: dir, env: { NODE_EXTRA_CA_CERTS: ca.caCertPath } },
  );
}, 60_000);

afterAll(async () => {
  await served?.stop().catch(() => {});
  killAll();
  await new Promise<void>((resolve) => {
    mcp?.closeAllConnections();
    mcp?.close(() => resolve());
  });
  await host?.close();
  ca?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const connectArgs = () => [
  'connect',
  resource,
  '--client-credentials',
  '--key',
  keyFile,
  '--client-metadata-url',
  clientId,
  '--call',
  'whoami',
];

describe('cimd connect --dpop against cimd serve --dpop-required --dpop-nonce', () => {
  it('the agent calls a tool with a DPoP-bound token (cnf.jkt), through the nonce round trips: exit 0', async () => {
    const result = await runCimd([...connectArgs(), '--dpop'], { timeoutMs: 30_000 });
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
    const answer = JSON.parse(result.stdout.trim()) as { clientId: string; cnf?: { jkt?: unknown } };
    expect(answer.clientId).toBe(clientId);
    expect(answer.cnf?.jkt).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]{43}$/));
  }, 40_000);

  it('without --dpop the token request is refused (invalid_dpop_proof): exit 2', async () => {
    const result = await runCimd(connectArgs(), { timeoutMs: 30_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/invalid_dpop_proof|DPoP proof/);
  }, 40_000);
});
