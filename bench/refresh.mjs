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
 * Refresh-grant load: every request takes the next unused refresh token from one global queue and
 * each 200 puts the rotated token back (a failed request returns its token), so each refresh token
 * is used once. Each request also pops a pre-signed assertion.
 */
async function refreshLoad(pid, port, chains, assertions, resource, timing) {
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
  const result = await load(pid, { url: `http://127.0.0.1:${port}`, requests: [request] }, timing);
  return { ...result, starved };
}

/**
 * Runs the refresh scenario for each of `stores` (labels and BENCH_STORE values for our server)
 * and once for the peer. Returns `{ rows, targets }` for the report.
 */
export async function refreshBench({ start, stop, timing, resource, stores }) {
  console.log(
    `\n## Token endpoint: POST /token grant_type=refresh_token, rotation, private_key_jwt (ES256), ES256 JWT access token; c=64, ${timing.warmupS} s warm-up + ${timing.durationS} s`,
  );
  const clientKey = await generateKeyPair('ES256', { extractable: true });
  const clientJwk = { ...(await exportJWK(clientKey.privateKey)), kid: 'client-1', alg: 'ES256', use: 'sig' };
  const env = { BENCH_RESOURCE: resource, BENCH_CLIENT_JWK: JSON.stringify(clientJwk) };
  // 2x what ~6000 rps would use, each assertion used once (jti replay check).
  const needed = Math.ceil(6_000 * (timing.warmupS + timing.durationS) * 2);
  const results = {};

  for (const { key, label, spec } of stores) {
    const ours = await start('./as-server.mjs', ['128'], { ...env, BENCH_STORE: spec });
    try {
      const { assertions } = await presign(clientJwk, ours.clients.pkjwt, ours.issuer, needed);
      results[key] = {
        label,
        ...(await refreshLoad(ours.child.pid, ours.port, ours.chains.pkjwt, assertions, resource, timing)),
      };
    } finally {
      await stop(ours.child);
      await ours.cleanup?.();
    }
  }

  const peer = await start('./peer-oidc-provider.mjs', ['128'], env);
  try {
    const { assertions } = await presign(clientJwk, peer.clientId, peer.issuer, needed);
    results.peer = {
      label: 'peer: oidc-provider 9.13.3 (in-memory Map adapter)',
      ...(await refreshLoad(peer.child.pid, peer.port, peer.chains, assertions, resource, timing)),
    };
  } finally {
    await stop(peer.child);
  }

  loadTable(Object.values(results), [['starved', (r) => r.starved]]);
  const targets = [];
  for (const { key, label } of stores) {
    const r = results[key];
    const rpsRatio = r.rps / results.peer.rps;
    const cpuRatio = r.cpuPerReq / results.peer.cpuPerReq;
    targets.push({
      id: `refresh-${key}`,
      target: `refresh grant (${label}) >= 2x peer rps at <= 0.5x peer CPU/req`,
      measured: `${fmt(rpsRatio, 2)}x rps, ${fmt(cpuRatio, 2)}x CPU/req`,
      met: r.non2xx === 0 && rpsRatio >= 2 && cpuRatio <= 0.5,
      ours: r.rps,
      peer: results.peer.rps,
      ratio: rpsRatio,
      unit: 'rps',
    });
  }
  return { results, targets };
}
