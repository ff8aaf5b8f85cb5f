// /authorize scenarios of `npm run bench`: a cached CIMD client on our server vs a pre-registered
// client on our server vs the same CIMD client at oidc-provider's /auth (unauthenticated user:
// each server answers with its login/interaction redirect); and 1000 concurrent cold requests
// for one new CIMD client, counting the fetches the document host sees.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import { fmt, load, loadTable, table } from './lib.mjs';

const REDIRECT = 'https://client.example/cb';

function authorizeQuery(clientId, resource) {
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
  return new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: 'mcp:tools',
    resource,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'bench-state',
  }).toString();
}

/** One GET over a fresh connection; resolves with the status (0 on a network error). */
function get(port, path) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(30_000, () => req.destroy());
  });
}

async function hitsAt(docHost, path) {
  return new Promise((resolve) => {
    const onMessage = (message) => {
      if (message?.path !== path) return;
      docHost.child.off('message', onMessage);
      resolve(message.hits);
    };
    docHost.child.on('message', onMessage);
    docHost.child.send({ hits: path });
  });
}

async function clientJwkEnv(resource) {
  const key = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(key.privateKey)), kid: 'client-1', alg: 'ES256', use: 'sig' };
  return { BENCH_RESOURCE: resource, BENCH_CLIENT_JWK: JSON.stringify(jwk) };
}

/** Cached-CIMD /authorize: ours (CIMD and pre-registered) vs the peer's /auth. */
export async function authorizeBench({ start, stop, timing, resource, sqlitePath }) {
  console.log(
    `\n## /authorize, unauthenticated user, cached CIMD client; c=64, ${timing.warmupS} s warm-up + ${timing.durationS} s`,
  );
  const env = await clientJwkEnv(resource);
  const docHost = await start('./doc-host.mjs', []);
  const results = {};
  try {
    const ours = await start('./as-server.mjs', ['0'], {
      ...env,
      BENCH_STORE: `sqlite:${sqlitePath('authorize')}`,
      BENCH_DOC_CA: docHost.caCert,
    });
    try {
      const variants = [
        ['cimd', 'ours: cached CIMD client (SQLite store)', `${docHost.origin}/ours.json`],
        ['registered', 'ours: pre-registered client (SQLite store)', 'bench-public'],
      ];
      for (const [key, label, clientId] of variants) {
        const path = `/authorize?${authorizeQuery(clientId, resource)}`;
        const first = await get(ours.port, path); // primes the document cache
        results[key] = {
          label,
          first,
          ...(await load(
            ours.child.pid,
            { url: `http://127.0.0.1:${ours.port}${path}` },
            { ...timing, expect: ['2xx', '3xx'] },
          )),
        };
      }
      results.cimd.fetches = await hitsAt(docHost, '/ours.json');
    } finally {
      await stop(ours.child);
    }
    const peer = await start('./peer-oidc-provider.mjs', ['0'], {
      ...env,
      BENCH_DOC_ORIGIN: docHost.origin,
      BENCH_DOC_CA: docHost.caCert,
    });
    try {
      const path = `/auth?${authorizeQuery(`${docHost.origin}/peer.json`, resource)}`;
      const first = await get(peer.port, path);
      results.peer = {
        label: 'peer: oidc-provider 9.13.3 /auth, cached CIMD client',
        first,
        ...(await load(
          peer.child.pid,
          { url: `http://127.0.0.1:${peer.port}${path}` },
          { ...timing, expect: ['2xx', '3xx'] },
        )),
      };
      results.peer.fetches = await hitsAt(docHost, '/peer.json');
    } finally {
      await stop(peer.child);
    }
  } finally {
    await stop(docHost.child);
  }
  loadTable(Object.values(results), [['statuses', (r) => JSON.stringify(r.statuses)]], 'rps (2xx/3xx)');
  const vsPeer = results.cimd.rps / results.peer.rps;
  const vsRegistered = results.registered.rps / results.cimd.rps;
  const cpuVsPeer = results.cimd.cpuPerReq / results.peer.cpuPerReq;
  return {
    results,
    targets: [
      {
        id: 'authorize-cimd-vs-peer',
        target: "/authorize, cached CIMD client: >= 2x oidc-provider's /auth rps",
        measured: `${fmt(vsPeer, 2)}x rps, ${fmt(cpuVsPeer, 2)}x CPU/req`,
        met: results.cimd.non2xx === 0 && vsPeer >= 2,
        ours: results.cimd.rps,
        peer: results.peer.rps,
        ratio: vsPeer,
        unit: 'rps',
      },
      {
        id: 'authorize-cimd-vs-registered',
        target: 'cached CIMD client within 1.3x of a pre-registered client (our rps)',
        measured: `pre-registered / CIMD = ${fmt(vsRegistered, 2)}x rps, CIMD CPU/req ${fmt(results.cimd.cpuPerReq / results.registered.cpuPerReq, 2)}x`,
        met: results.cimd.non2xx === 0 && vsRegistered <= 1.3,
        ours: results.cimd.rps,
        peer: results.registered.rps,
        ratio: results.cimd.rps / results.registered.rps,
        unit: 'rps',
        peerLabel: 'ours, pre-registered',
      },
    ],
  };
}

/** Sends `count` concurrent GETs for a never-seen CIMD client, spread round-robin over `ports`. */
async function coldBurst(ports, pathFor, count) {
  const started = performance.now();
  const statuses = await Promise.all(
    Array.from({ length: count }, (_, i) => get(ports[i % ports.length], pathFor(i % ports.length))),
  );
  const byStatus = {};
  for (const status of statuses) byStatus[status] = (byStatus[status] ?? 0) + 1;
  return { byStatus, ms: performance.now() - started };
}

/** 1000 concurrent cold authorizations for one new CIMD client: document fetches counted at the host. */
export async function coldBench({ start, stop, resource, sqlitePath, redisUrl, count = 1000 }) {
  console.log(
    `\n## Cold CIMD client: ${count} concurrent /authorize for one new client_id (document host answers after 200 ms)`,
  );
  const env = await clientJwkEnv(resource);
  const docHost = await start('./doc-host.mjs', [], { BENCH_DOC_DELAY_MS: '200' });
  const rows = [];
  try {
    const oursEnv = { ...env, BENCH_DOC_CA: docHost.caCert };
    const single = await start('./as-server.mjs', ['0'], {
      ...oursEnv,
      BENCH_STORE: `sqlite:${sqlitePath('cold-1')}`,
    });
    try {
      const burst = await coldBurst(
        [single.port],
        () => `/authorize?${authorizeQuery(`${docHost.origin}/cold-one.json`, resource)}`,
        count,
      );
      rows.push({
        id: 'ours-1',
        label: 'ours, 1 instance (SQLite)',
        ...burst,
        fetches: await hitsAt(docHost, '/cold-one.json'),
      });
    } finally {
      await stop(single.child);
    }
    const shared = [['sqlite', 'SQLite file', `sqlite:${sqlitePath('cold-3')}`]];
    if (redisUrl) shared.push(['redis', 'Redis', redisUrl]);
    for (const [key, name, spec] of shared) {
      const three = [];
      try {
        for (let i = 0; i < 3; i++)
          three.push(await start('./as-server.mjs', ['0'], { ...oursEnv, BENCH_STORE: spec }));
        const path = `/cold-three-${key}.json`;
        const burst = await coldBurst(
          three.map((s) => s.port),
          () => `/authorize?${authorizeQuery(`${docHost.origin}${path}`, resource)}`,
          count,
        );
        rows.push({
          id: `ours-3-${key}`,
          label: `ours, 3 instances on one ${name}`,
          ...burst,
          fetches: await hitsAt(docHost, path),
        });
      } finally {
        for (const s of three) await stop(s.child);
      }
    }
    const peer = await start('./peer-oidc-provider.mjs', ['0'], {
      ...env,
      BENCH_DOC_ORIGIN: docHost.origin,
      BENCH_DOC_CA: docHost.caCert,
    });
    try {
      const burst = await coldBurst(
        [peer.port],
        () => `/auth?${authorizeQuery(`${docHost.origin}/cold-peer.json`, resource)}`,
        count,
      );
      rows.push({
        id: 'peer',
        label: 'peer: oidc-provider 9.13.3, 1 instance',
        ...burst,
        fetches: await hitsAt(docHost, '/cold-peer.json'),
      });
    } finally {
      await stop(peer.child);
    }
  } finally {
    await stop(docHost.child);
  }
  table(
    ['server', 'document fetches', 'statuses', 'wall ms'],
    rows.map((r) => [r.label, r.fetches, JSON.stringify(r.byStatus), fmt(r.ms)]),
  );
  const redirected = (r) => Object.keys(r.byStatus).every((status) => /^[23]/.test(status));
  return {
    results: rows,
    targets: rows
      .filter((r) => r.id.startsWith('ours'))
      .map((r) => ({
        id: `cold-${r.id}`,
        target: `${count} concurrent cold authorizations (${r.label}) -> exactly 1 document fetch`,
        measured: `${r.fetches} fetch(es), answers ${JSON.stringify(r.byStatus)}`,
        met: r.fetches === 1 && redirected(r),
        ours: r.fetches,
        peer: rows.find((p) => p.id === 'peer')?.fetches,
        ratio: r.fetches,
        unit: 'fetches',
      })),
  };
}
