#!/usr/bin/env node
// `npm start`: a local demo of the document toolkit. It makes a throwaway CA, hosts a public and
// a private_key_jwt client metadata document (with its JWKS) on loopback HTTPS, validates both
// exactly as an authorization server would, and keeps serving so you can try `cimd validate`.

import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { createSafeFetcher } from '../dist/fetch/index.js';
import { createClientMetadata } from '../dist/index.js';
import { createTestCa, json, startHttpsHost } from '../dist/testing/index.js';
import { validateClientMetadataUrl } from '../dist/validate/index.js';

const ca = createTestCa();
const host = await startHttpsHost(ca);
const caPath = ca.caCertPath;
const publicUrl = `${host.origin}/oauth/client.json`;
const confidentialUrl = `${host.origin}/oauth/agent.json`;
const jwksUrl = `${host.origin}/oauth/jwks.json`;

const { publicKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig' };
jwk.kid = await calculateJwkThumbprint(jwk);

const publicDocument = createClientMetadata({
  clientId: publicUrl,
  clientName: 'Demo MCP Client',
  redirectUris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
  applicationType: 'native',
  allowPrivateNetwork: true,
});
const confidentialDocument = createClientMetadata({
  clientId: confidentialUrl,
  clientName: 'Demo MCP Agent',
  redirectUris: ['https://localhost/callback'],
  tokenEndpointAuthMethod: 'private_key_jwt',
  jwksUri: jwksUrl,
  signingAlg: 'ES256',
  allowPrivateNetwork: true,
});
const cacheHeaders = { 'cache-control': 'public, max-age=300' };
host.route('/oauth/client.json', json(publicDocument.document, 200, cacheHeaders));
host.route('/oauth/agent.json', json(confidentialDocument.document, 200, cacheHeaders));
host.route('/oauth/jwks.json', json({ keys: [jwk] }, 200, cacheHeaders));

const fetcher = createSafeFetcher({ allowPrivateNetwork: true, ca: ca.caCert });
for (const url of [publicUrl, confidentialUrl]) {
  const report = await validateClientMetadataUrl(url, {
    fetcher,
    allowPrivateNetwork: true,
    redirectUris: url === publicUrl ? ['http://127.0.0.1:49152/callback'] : [],
  });
  console.log(`\n${report.valid ? '✓ valid' : '✗ invalid'}: ${url}`);
  for (const check of report.checks) console.log(`  ${check.ok ? '✓' : '✗'} ${check.label}`);
  for (const finding of report.findings)
    console.log(`  ${finding.severity} ${finding.id}: ${finding.message}`);
}
await fetcher.close();

console.log(`
Serving on ${host.origin} (the CA is at ${caPath}). Try, in another terminal:

  NODE_EXTRA_CA_CERTS=${caPath} npx cimd validate ${publicUrl} --allow-private-network
  NODE_EXTRA_CA_CERTS=${caPath} npx cimd validate ${confidentialUrl} --allow-private-network --json
  npx cimd create --name "My MCP Client" -r http://127.0.0.1/callback -r http://localhost/callback

Press Ctrl-C to stop.`);

const stop = async () => {
  await host.close();
  ca.dispose();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
