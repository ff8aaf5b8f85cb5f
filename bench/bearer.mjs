// Resource-server scenario of `npm run bench`: GET /protected behind a bearer check, ours (express
// and hono) vs the MCP SDK's requireBearerAuth vs a hand-written node:http + jose limit.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { fmt, load, loadTable } from './lib.mjs';

const ISSUER = 'https://as.example';
const RESOURCE = 'https://rs.example/mcp';

export async function bearerBench({ start, stop, timing }) {
  console.log(
    `\n## 1. Resource-server bearer check: GET /protected, c=64, ${timing.warmupS} s warm-up + ${timing.durationS} s`,
  );
  const es = await generateKeyPair('ES256', { extractable: true });
  const rs = await generateKeyPair('RS256', { extractable: true });
  const esPublic = { ...(await exportJWK(es.publicKey)), kid: 'es-1', alg: 'ES256', use: 'sig' };
  const rsPublic = { ...(await exportJWK(rs.publicKey)), kid: 'rs-1', alg: 'RS256', use: 'sig' };
  const token = await new SignJWT({ scope: 'mcp:tools', client_id: 'https://client.example/cimd.json' })
    .setProtectedHeader({ alg: 'ES256', kid: 'es-1', typ: 'at+jwt' })
    .setIssuer(ISSUER)
    .setSubject('user-1')
    .setAudience(RESOURCE)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(es.privateKey);
  const env = {
    BENCH_JWKS: JSON.stringify({ keys: [esPublic, rsPublic] }),
    BENCH_ISSUER: ISSUER,
    BENCH_RESOURCE: RESOURCE,
  };
  const variants = [
    ['limit', 'limit: node:http + jose jwtVerify'],
    ['sdk', 'peer: MCP SDK requireBearerAuth (express)'],
    ['ours-express', 'ours: requireBearer (express)'],
    ['ours-hono', 'ours: bearerAuth (hono)'],
  ];
  const results = {};
  for (const [variant] of variants) {
    const { child, port } = await start('./rs-server.mjs', [variant], env);
    try {
      results[variant] = await load(
        child.pid,
        { url: `http://127.0.0.1:${port}/protected`, headers: { authorization: `Bearer ${token}` } },
        timing,
      );
    } finally {
      await stop(child);
    }
  }
  loadTable(variants.map(([key, label]) => ({ ...results[key], label })));
  const ratio = (a, b) =>
    `${fmt(results[a].rps / results[b].rps, 2)}x rps, ${fmt(results[a].cpuPerReq / results[b].cpuPerReq, 2)}x CPU/req`;
  console.log('\nratios (rps: higher is better; CPU/req: lower is better)');
  console.log(`  ours express vs SDK peer : ${ratio('ours-express', 'sdk')}`);
  console.log(`  ours hono    vs SDK peer : ${ratio('ours-hono', 'sdk')}`);
  for (const [key, label] of variants.slice(1))
    console.log(`  ${label.padEnd(42)} vs limit: ${ratio(key, 'limit')}`);
  return {
    results,
    targets: [
      {
        id: 'bearer-hono-vs-sdk',
        target:
          'resource-server bearer check (ours, hono) vs MCP SDK requireBearerAuth (no target; reported)',
        measured: ratio('ours-hono', 'sdk'),
        met: undefined,
        ours: results['ours-hono'].rps,
        peer: results.sdk.rps,
        ratio: results['ours-hono'].rps / results.sdk.rps,
        unit: 'rps',
      },
    ],
  };
}
