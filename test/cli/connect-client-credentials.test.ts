/**
 * `cimd connect --client-credentials --key <key set>` (the built bin) against `cimd serve
 * --allow-client-credentials <host pattern>` (the built bin): an agent document (grant_types
 * client_credentials, private_key_jwt, jwks_uri) and its JWK Set served over HTTPS on loopback
 * with the test CA, a key set written as `cimd keys` writes it, and a real SDK MCP server behind
 * `requireBearer`. No browser, no user.
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
const dir = mkdtempSync(join(tmpdir(), 'cimd-connect-cc-'));

let ca: TestCa;
let host: HttpsHost;
let mcp: Server;
let resource: string;
let issuer: string;
let served: Served | undefined;
let clientId: string;
let keyFile: string;

beforeAll(async () => {
  requireBuiltBin();
  ca = createTestCa();
  host = await startHttpsHost(ca);
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;

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
    }),
    async (req, res) => {
      const server = new McpServer({ name: 'cli-agents', version: '1.0.0' });
      server.registerTool('whoami', { description: 'The token client' }, (extra) => ({
        content: [{ type: 'text', text: JSON.stringify({ clientId: extra.authInfo?.clientId }) }],
      }));
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
    clientName: 'CLI agent',
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

describe('cimd connect --client-credentials against cimd serve --allow-client-credentials', () => {
  it('the served metadata advertises client_credentials', async () => {
    const metadata = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as {
      grant_types_supported: string[];
    };
    expect(metadata.grant_types_supported).toContain('client_credentials');
  });

  it('an agent with a cimd keys key set calls a tool: no browser, exit 0', async () => {
    const result = await runCimd(
      [
        'connect',
        resource,
        '--client-credentials',
        '--key',
        keyFile,
        '--client-metadata-url',
        clientId,
        '--call',
        'whoami',
      ],
      { timeoutMs: 30_000 },
    );
    expect(result.stderr).not.toMatch(/authorize\?/);
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
    expect(JSON.parse(result.stdout.trim())).toEqual({ clientId });
    const issued = served?.lines.find((line) => line.event === 'token_issued');
    expect(issued).toMatchObject({ grantType: 'client_credentials', clientId });
  }, 40_000);

  it('a scope beyond the document scope is refused (invalid_scope): exit 2', async () => {
    const result = await runCimd(
      [
        'connect',
        resource,
        '--client-credentials',
        '--key',
        keyFile,
        '--client-metadata-url',
        clientId,
        '--scope',
        'mcp:tools admin',
      ],
      { timeoutMs: 30_000 },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/invalid_scope/);
  }, 40_000);

  it('--client-credentials without --key is a usage error (exit 2)', async () => {
    const result = await runCimd([
      'connect',
      resource,
      '--client-credentials',
      '--client-metadata-url',
      clientId,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--key/);
  });
});
