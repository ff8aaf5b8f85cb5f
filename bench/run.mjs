// `npm run bench`: our code and its peers side by side, in one run, on 127.0.0.1 only.
// Prints ratios, never asserts timings. Every server is a child process (the load generator
// keeps its own event loop) and is stopped at the end; every load loop is time-bounded.

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import { fmt, load, machineCheck, startChild, stopChild, table } from './lib.mjs';

const WARMUP_S = 2;
const DURATION_S = 5;
const ISSUER = 'https://as.example';
const RESOURCE = 'https://rs.example/mcp';

if (!existsSync(new URL('../dist/server/index.js', import.meta.url))) {
  console.error('dist/ is missing: run `npm run build` first (`npm run bench` does).');
  process.exit(1);
}

const children = new Set();
async function start(script, args, env) {
  const started = await startChild(script, args, env);
  children.add(started.child);
  return started;
}
async function stop(child) {
  await stopChild(child);
  children.delete(child);
}
async function stopAll() {
  await Promise.all([...children].map((child) => stopChild(child)));
}
process.on('SIGINT', () => stopAll().then(() => process.exit(130)));

async function printMachine(label, warn) {
  const m = await machineCheck();
  const sample = m.busyCores === undefined ? '' : `, ${m.busyCores.toFixed(2)} cores busy over 1 s`;
  const verdict = !warn
    ? ''
    : m.busy
      ? '\nWARNING: the machine is busy; the numbers below are noisy (rerun when idle)'
      : ' (idle)';
  console.log(
    `${label}: ${m.cores} cores, loadavg 1 min ${m.one.toFixed(2)}, 5 min ${m.five.toFixed(2)}${sample}${verdict}`,
  );
}

async function bearerBench() {
  console.log(
    `\n## 1. Resource-server bearer check: GET /protected, c=64, ${WARMUP_S} s warm-up + ${DURATION_S} s`,
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
        { warmupS: WARMUP_S, durationS: DURATION_S },
      );
    } finally {
      await stop(child);
    }
  }
  table(
    ['variant', 'rps', 'p50 ms', 'p99 ms', 'CPU ms/req', 'cores', 'non-2xx', 'errors'],
    variants.map(([key, label]) => {
      const r = results[key];
      return [
        label,
        fmt(r.rps),
        fmt(r.p50),
        fmt(r.p99),
        fmt(r.cpuPerReq, 3),
        fmt(r.cores, 2),
        r.non2xx,
        r.errors,
      ];
    }),
  );
  const ratio = (a, b) =>
    `${fmt(results[a].rps / results[b].rps, 2)}x rps, ${fmt(results[a].cpuPerReq / results[b].cpuPerReq, 2)}x CPU/req`;
  console.log('\nratios (rps: higher is better; CPU/req: lower is better)');
  console.log(`  ours express vs SDK peer : ${ratio('ours-express', 'sdk')}`);
  console.log(`  ours hono    vs SDK peer : ${ratio('ours-hono', 'sdk')}`);
  for (const [key, label] of variants.slice(1))
    console.log(`  ${label.padEnd(42)} vs limit: ${ratio(key, 'limit')}`);
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Pre-signs `count` single-use ES256 client assertions (unique jti) for `clientId` with `aud` = `audience`. */
async function presign(jwk, clientId, audience, count) {
  const key = await importJWK(jwk, 'ES256');
  const sign = () =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: jwk.kid, typ: 'client-authentication+jwt' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(audience)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('240s')
      .sign(key);
  const started = performance.now();
  const assertions = [];
  for (let i = 0; i < count; i += 256) {
    assertions.push(...(await Promise.all(Array.from({ length: Math.min(256, count - i) }, sign))));
  }
  return { assertions, seconds: (performance.now() - started) / 1000 };
}

/**
 * Refresh-grant load: every request takes the next unused refresh token from one global queue and
 * each 200 puts the rotated token back (a failed request returns its token), so each refresh token
 * is used once. With `client.assertions`, each request also pops a pre-signed assertion.
 */
async function refreshLoad(pid, port, chains, client) {
  const queue = [...chains];
  let starved = 0;
  const request = {
    method: 'POST',
    path: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    setupRequest(req, context) {
      const refresh = queue.shift();
      if (refresh === undefined) starved++;
      context.refresh = refresh;
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refresh ?? 'none',
        resource: RESOURCE,
      });
      if (client.assertions) {
        form.set('client_assertion_type', ASSERTION_TYPE);
        const assertion = client.assertions.pop();
        if (assertion === undefined) starved++;
        form.set('client_assertion', assertion ?? 'none');
      } else {
        form.set('client_id', client.clientId);
      }
      return { ...req, body: form.toString() };
    },
    onResponse(status, body, context) {
      if (status === 200) queue.push(JSON.parse(body).refresh_token);
      else if (context.refresh !== undefined) queue.push(context.refresh);
    },
  };
  const result = await load(
    pid,
    { url: `http://127.0.0.1:${port}`, requests: [request] },
    { warmupS: WARMUP_S, durationS: DURATION_S },
  );
  return { ...result, starved };
}

async function refreshBench() {
  console.log(
    `\n## 2. Token endpoint: POST /token grant_type=refresh_token (rotation, ES256 JWT access token), c=64, ${WARMUP_S} s warm-up + ${DURATION_S} s`,
  );
  const clientKey = await generateKeyPair('ES256', { extractable: true });
  const clientJwk = { ...(await exportJWK(clientKey.privateKey)), kid: 'client-1', alg: 'ES256', use: 'sig' };
  const env = { BENCH_RESOURCE: RESOURCE, BENCH_CLIENT_JWK: JSON.stringify(clientJwk) };
  const results = {};
  // Assertions to pre-sign for a private_key_jwt run: 2x what the public-client rate suggests
  // (each is used once: jti replay check). Set after the first run.
  let needed;

  const ours = await start('./as-server.mjs', ['128'], env);
  try {
    results.none = await refreshLoad(ours.child.pid, ours.port, ours.chains.none, {
      clientId: ours.clients.none,
    });
    needed = Math.ceil(results.none.rps * (WARMUP_S + DURATION_S) * 2) + 2_000;
    const { assertions, seconds } = await presign(clientJwk, ours.clients.pkjwt, ours.issuer, needed);
    console.log(`(ours: pre-signed ${assertions.length} client assertions in ${fmt(seconds, 1)} s)`);
    results.pkjwt = await refreshLoad(ours.child.pid, ours.port, ours.chains.pkjwt, { assertions });
  } finally {
    await stop(ours.child);
  }

  // The peer runs alone, after ours has exited: same client key, same load, `aud` = its issuer.
  const peerStart = performance.now();
  const peer = await start('./peer-oidc-provider.mjs', ['128'], env);
  try {
    const mintS = (performance.now() - peerStart) / 1000;
    const { assertions, seconds } = await presign(clientJwk, peer.clientId, peer.issuer, needed);
    console.log(
      `(peer: started and minted ${peer.chains.length} refresh chains via /auth + headless interaction + code grant in ${fmt(mintS, 1)} s; pre-signed ${assertions.length} client assertions in ${fmt(seconds, 1)} s)`,
    );
    results.peer = await refreshLoad(peer.child.pid, peer.port, peer.chains, { assertions });
  } finally {
    await stop(peer.child);
  }

  table(
    ['server, client auth', 'rps', 'p50 ms', 'p99 ms', 'CPU ms/req', 'cores', 'non-2xx', 'errors', 'starved'],
    [
      ['ours, none (public client)', results.none],
      ['ours, private_key_jwt (ES256 assertion)', results.pkjwt],
      ['peer: oidc-provider 9.13.3, private_key_jwt', results.peer],
    ].map(([label, r]) => [
      label,
      fmt(r.rps),
      fmt(r.p50),
      fmt(r.p99),
      fmt(r.cpuPerReq, 3),
      fmt(r.cores, 2),
      r.non2xx,
      r.errors,
      r.starved,
    ]),
  );
  const ratio = (a, b) =>
    `${fmt(results[a].rps / results[b].rps, 2)}x rps, ${fmt(results[a].p99 / results[b].p99, 2)}x p99, ${fmt(results[a].cpuPerReq / results[b].cpuPerReq, 2)}x CPU/req`;
  console.log('\nratios, measured in this run (rps: higher is better; p99, CPU/req: lower is better)');
  console.log(`  ours private_key_jwt vs peer private_key_jwt : ${ratio('pkjwt', 'peer')}  (like for like)`);
  console.log(
    `  ours none            vs peer private_key_jwt : ${ratio('none', 'peer')}  (not like for like: no assertion verify)`,
  );
  console.log(
    '\nhistorical footnote, not comparable: perf-anchors.md (taken on an earlier, slower state of the machine,' +
      '\n  10 s x 3 gated runs) had oidc-provider 9.13.3 at 1187 rps, 1.08 ms/req here; use the measured peer row.',
  );
}

const started = performance.now();
console.log(
  `mcp-cimd bench, Node ${process.version}; numbers are noisy: compare ratios within one run, and CPU ms/req across runs`,
);
await printMachine('machine before', true);
try {
  await bearerBench();
  await refreshBench();
} finally {
  await stopAll();
}
await printMachine('\nmachine after (loadavg includes this run)', false);
console.log(`total ${fmt((performance.now() - started) / 1000, 0)} s`);
