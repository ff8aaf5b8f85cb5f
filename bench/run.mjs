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

async function refreshBench() {
  console.log(
    `\n## 2. Token endpoint: POST /token grant_type=refresh_token (rotation, ES256 JWT access token), c=64, ${WARMUP_S} s warm-up + ${DURATION_S} s`,
  );
  const clientKey = await generateKeyPair('ES256', { extractable: true });
  const clientJwk = { ...(await exportJWK(clientKey.privateKey)), kid: 'client-1', alg: 'ES256', use: 'sig' };
  const { child, port, issuer, chains, clients } = await start('./as-server.mjs', ['128'], {
    BENCH_RESOURCE: RESOURCE,
    BENCH_CLIENT_JWK: JSON.stringify(clientJwk),
  });
  const results = {};
  try {
    const key = await importJWK(clientJwk, 'ES256');
    let assertions = [];
    const sign = () =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'client-1', typ: 'client-authentication+jwt' })
        .setIssuer(clients.pkjwt)
        .setSubject(clients.pkjwt)
        .setAudience(issuer)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime('240s')
        .sign(key);

    async function run(kind) {
      const queue = [...chains[kind]];
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
          if (kind === 'pkjwt') {
            form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
            const assertion = assertions.pop();
            if (assertion === undefined) starved++;
            form.set('client_assertion', assertion ?? 'none');
          } else {
            form.set('client_id', clients.none);
          }
          return { ...req, body: form.toString() };
        },
        onResponse(status, body, context) {
          if (status === 200) queue.push(JSON.parse(body).refresh_token);
          else if (context.refresh !== undefined) queue.push(context.refresh);
        },
      };
      const result = await load(
        child.pid,
        { url: `http://127.0.0.1:${port}`, requests: [request] },
        { warmupS: WARMUP_S, durationS: DURATION_S },
      );
      return { ...result, starved };
    }

    results.none = await run('none');
    // Pre-sign 2x the assertions the public-client rate suggests (each is used once: jti replay check).
    const needed = Math.ceil(results.none.rps * (WARMUP_S + DURATION_S) * 2) + 2_000;
    const signStart = performance.now();
    const batch = 256;
    for (let i = 0; i < needed; i += batch) {
      assertions.push(...(await Promise.all(Array.from({ length: Math.min(batch, needed - i) }, sign))));
    }
    console.log(
      `(pre-signed ${assertions.length} client assertions in ${fmt((performance.now() - signStart) / 1000, 1)} s)`,
    );
    results.pkjwt = await run('pkjwt');
    assertions = [];
  } finally {
    await stop(child);
  }
  const anchor = { rps: 1187, cpu: 1.08 };
  table(
    ['client auth', 'rps', 'p50 ms', 'p99 ms', 'CPU ms/req', 'cores', 'non-2xx', 'errors', 'starved'],
    [
      ['none (public client)', results.none],
      ['private_key_jwt (ES256 assertion)', results.pkjwt],
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
  console.log(
    `\noidc-provider 9.13.3 refresh + private_key_jwt + JWT AT: ${anchor.rps} rps, ${anchor.cpu} ms/req` +
      '\n  ^ ANCHOR FROM perf-anchors.md (same machine, 10 s x 3 gated runs), NOT measured in this run',
  );
  for (const [label, r] of [
    ['none', results.none],
    ['private_key_jwt', results.pkjwt],
  ]) {
    console.log(
      `  ours (${label}) vs anchor: ${fmt(r.rps / anchor.rps, 2)}x rps, ${fmt(r.cpuPerReq / anchor.cpu, 2)}x CPU/req${label === 'none' ? '  (not like for like: the anchor verifies an assertion)' : ''}`,
    );
  }
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
