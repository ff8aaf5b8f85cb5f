// Token-endpoint scenario of `npm run bench`: POST /token grant_type=refresh_token with rotation,
// `private_key_jwt` (ES256 assertion) and an ES256 JWT access token, ours on a real store vs
// oidc-provider 9.13.3 under the same load.
import { exportJWK, generateKeyPair, importJWK } from 'jose';
import { signClientAssertion } from './assertions.mjs';
import { fmt, load, loadTable } from './lib.mjs';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Pre-signs `count` single-use ES256 client assertions (unique jti) for `clientId` with `aud` = `audience`. */
export async function presign(jwk, clientId, audience, count) {
  const key = await importJWK(jwk, 'ES256');
  const sign = () => signClientAssertion(key, jwk.kid, clientId, audience);
  const started = performance.now();
  const assertions = [];
  for (let i = 0; i < count; i += 256) {
    assertions.push(...(await Promise.all(Array.from({ length: Math.min(256, count - i) }, sign))));
  }
  return { assertions, seconds: (performance.now() - started) / 1000 };
}

/**
 * One server under refresh-grant load: every request takes the next unused refresh token from
 * one queue and each 200 puts the rotated token back (a failed request returns its token), so
 * each refresh token is used once; each request also pops a pre-signed assertion (single-use
 * `jti`). The queue lives across the runs of {@link RefreshTarget.run}.
 */
function refreshTarget(pid, port, chains, assertions, resource) {
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
      const assertion = assertions.pop();
      if (assertion === undefined) starved++;
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refresh ?? 'none',
        resource,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: assertion ?? 'none',
      });
      return { ...req, body: form.toString() };
    },
    onResponse(status, body, context) {
      if (status === 200) queue.push(JSON.parse(body).refresh_token);
      else if (context.refresh !== undefined) queue.push(context.refresh);
    },
  };
  return {
    /** One load run (`warmupS` unmeasured, then `durationS` measured); `starved` counts since the last run. */
    async run(timing) {
      starved = 0;
      const result = await load(pid, { url: `http://127.0.0.1:${port}`, requests: [request] }, timing);
      return { ...result, starved };
    },
  };
}

const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** The rounds of one server summed up: medians of rps, latency, CPU/req and cores; totals of the rest. */
function summarize(label, rounds) {
  return {
    label,
    rps: median(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    cpuPerReq: median(rounds.map((r) => r.cpuPerReq)),
    cores: median(rounds.map((r) => r.cores)),
    non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    starved: rounds.reduce((sum, r) => sum + r.starved, 0),
    rounds: rounds.map(({ rps, cpuPerReq, p50, p99 }) => ({ rps, cpuPerReq, p50, p99 })),
  };
}

/** The in-memory peer, the reference for every store that has no peer of its own. */
const MEMORY_PEER = { key: 'peer', label: 'peer: oidc-provider 9.13.3 (in-memory Map adapter)', env: {} };

/**
 * Runs the refresh scenario on our server for each of `stores` (labels and BENCH_STORE values)
 * against its peer: the in-memory peer, or the store's own `peer` (the same database). Each
 * store with a peer of its own is measured in a group of its own, the others together with the
 * in-memory peer, so a database's background work after one group weighs on no other. In a
 * group every server is started and warmed up, then they take turns in `timing.rounds` rounds of
 * `timing.durationS` seconds (the order reversed every other round), so a drift of the machine's
 * speed during the run weighs on every server alike. Each server's row holds the medians of its
 * rounds. Returns `{ rows, targets }` for the report.
 */
export async function refreshBench({ start, stop, timing, resource, stores }) {
  const rounds = timing.rounds ?? 3;
  console.log(
    `\n## Token endpoint: POST /token grant_type=refresh_token, rotation, private_key_jwt (ES256), ES256 JWT access token; c=64, ${timing.warmupS} s warm-up, then ${rounds} rounds of ${timing.durationS} s per server, taking turns with its peer (medians)`,
  );
  const clientKey = await generateKeyPair('ES256', { extractable: true });
  const clientJwk = { ...(await exportJWK(clientKey.privateKey)), kid: 'client-1', alg: 'ES256', use: 'sig' };
  const env = { BENCH_RESOURCE: resource, BENCH_CLIENT_JWK: JSON.stringify(clientJwk) };
  // 2x what ~6000 rps would use, each assertion used once (jti replay check).
  const needed = Math.ceil(6_000 * (timing.warmupS + timing.durationS * rounds) * 2);
  // A run's end strands the tokens of its 64 requests in flight (their answers are not read):
  // enough chains that every run still finds 64 or more.
  const chains = String(64 * (rounds + 3));

  /** Starts, warms up and measures `ours` and `peers` in turns; resolves every server with its rounds. */
  async function runGroup(ours, peers) {
    const servers = [];
    try {
      for (const { key, label, spec } of ours) {
        const started = await start('./as-server.mjs', [chains], { ...env, BENCH_STORE: spec });
        servers.push({ key, label, started, clientId: started.clients.pkjwt, chains: started.chains.pkjwt });
      }
      for (const { key, label, env: peerEnv } of peers) {
        const started = await start('./peer-oidc-provider.mjs', [chains], { ...env, ...peerEnv });
        servers.push({ key, label, started, clientId: started.clientId, chains: started.chains });
      }
      for (const server of servers) {
        const { started } = server;
        const { assertions } = await presign(clientJwk, server.clientId, started.issuer, needed);
        server.target = refreshTarget(started.child.pid, started.port, server.chains, assertions, resource);
        server.rounds = [];
        if (timing.warmupS > 0) await server.target.run({ warmupS: 0, durationS: timing.warmupS });
      }
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? servers : [...servers].reverse();
        for (const server of order) {
          server.rounds.push(await server.target.run({ warmupS: 0, durationS: timing.durationS }));
        }
      }
    } finally {
      for (const { started } of servers) {
        await stop(started.child);
      }
    }
    return servers;
  }

  const servers = await runGroup(
    stores.filter(({ peer }) => peer === undefined),
    [MEMORY_PEER],
  );
  for (const store of stores) {
    if (store.peer !== undefined) servers.push(...(await runGroup([store], [store.peer])));
  }
  const results = Object.fromEntries(servers.map((s) => [s.key, summarize(s.label, s.rounds)]));
  loadTable(Object.values(results), [
    ['starved', (r) => r.starved],
    ['CPU ms/req by round', (r) => r.rounds.map((x) => fmt(x.cpuPerReq, 3)).join(' ')],
  ]);
  const targets = [];
  for (const { key, label, peer: ownPeer } of stores) {
    const r = results[key];
    const peer = results[(ownPeer ?? MEMORY_PEER).key];
    const rps = r.rps / peer.rps;
    const cpu = r.cpuPerReq / peer.cpuPerReq;
    const byRound = r.rounds.map((x, i) => x.cpuPerReq / peer.rounds[i].cpuPerReq);
    targets.push({
      id: `refresh-${key}`,
      target: `refresh grant (${label}) >= 2x rps at <= 0.5x CPU/req of ${peer.label}`,
      measured: `${fmt(rps, 2)}x rps, ${fmt(cpu, 2)}x CPU/req (medians of ${rounds} rounds; CPU/req by round ${byRound.map((x) => fmt(x, 2)).join(', ')})`,
      met: r.non2xx === 0 && peer.non2xx === 0 && rps >= 2 && cpu <= 0.5,
      ours: r.rps,
      peer: peer.rps,
      ratio: rps,
      unit: 'rps',
    });
  }
  return { results, targets };
}
