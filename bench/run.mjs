// `npm run bench`: our code and its peers side by side, in one run, on 127.0.0.1 only.
// Prints ratios and MET / NOT MET per target, never asserts timings. Every server is a child
// process (the load generator keeps its own event loop) and is stopped at the end; every load
// loop is time-bounded. Writes the results as JSON (bench/results/latest.json, or --out <file>)
// and an SVG chart beside it. `--only refresh,authorize,cold,memory,bearer` runs a subset.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { authorizeBench, coldBench } from './authorize.mjs';
import { bearerBench } from './bearer.mjs';
import { cimdServeThreadPoolSize, fmt, machineCheck, startChild, stopChild } from './lib.mjs';
import { refreshBench } from './refresh.mjs';
import { writeReport } from './report.mjs';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: new URL('./results/latest.json', import.meta.url).pathname },
    only: { type: 'string' },
    duration: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '5' },
  },
});
const timing = {
  warmupS: Number(values.warmup),
  durationS: Number(values.duration),
  rounds: Number(values.rounds),
};
for (const [option, value, least] of [
  ['--warmup', timing.warmupS, 0],
  ['--duration', timing.durationS, 1],
  ['--rounds', timing.rounds, 1],
]) {
  if (!Number.isInteger(value) || value < least) {
    console.error(
      `${option} must be a whole number of at least ${least} (got ${JSON.stringify(values[option.slice(2)])})`,
    );
    process.exit(2);
  }
}
const RESOURCE = 'https://rs.example/mcp';
const selected = new Set((values.only ?? 'bearer,refresh,authorize,cold,memory').split(','));

if (!existsSync(new URL('../dist/server/index.js', import.meta.url))) {
  console.error('dist/ is missing: run `npm run build` first (`npm run bench` does).');
  process.exit(1);
}

const scratch = mkdtempSync(join(tmpdir(), 'cimd-bench-'));
const sqlitePath = (name) => join(scratch, `${name}.sqlite`);
const children = new Set();
const ourThreadPool = cimdServeThreadPoolSize();
/** Starts a child; our server (`as-server.mjs`) with the thread pool `cimd serve` would give it. */
async function start(script, args, env, execArgv) {
  const ours = script === './as-server.mjs' ? { UV_THREADPOOL_SIZE: ourThreadPool } : {};
  const started = await startChild(script, args, { ...env, ...ours }, execArgv);
  children.add(started.child);
  return started;
}
async function stop(child) {
  await stopChild(child);
  children.delete(child);
}
async function stopAll() {
  await Promise.all([...children].map((child) => stopChild(child)));
  rmSync(scratch, { recursive: true, force: true });
}
process.on('SIGINT', () => stopAll().then(() => process.exit(130)));

async function machine(label) {
  const m = await machineCheck();
  const sample = m.busyCores === undefined ? '' : `, ${m.busyCores.toFixed(2)} cores busy over 1 s`;
  console.log(
    `${label}: ${m.cores} cores, loadavg 1 min ${m.one.toFixed(2)}, 5 min ${m.five.toFixed(2)}${sample}${m.busy ? ' (BUSY: numbers are noisy)' : ' (idle)'}`,
  );
  return m;
}

async function memoryBench() {
  console.log('\n## Memory per cached client document: 10,000 distinct documents through the registry');
  const { child, ...result } = await start('./memory-child.mjs', ['10000'], {}, ['--expose-gc']);
  await stop(child);
  console.log(
    `heap after GC: ${fmt(result.heapBefore / 1048576, 1)} MiB before, ${fmt(result.heapAfter / 1048576, 1)} MiB after ${result.count} documents: ${fmt(result.bytesPerClient)} bytes per client (${result.refetched} refetched on a second pass, ${result.failures} failed fetches retried)`,
  );
  return {
    results: result,
    targets: [
      {
        id: 'memory-per-client',
        target: 'memory per cached client document <= 2 KB (10,000 clients, heap after GC)',
        measured: `${fmt(result.bytesPerClient)} bytes per client`,
        met: result.bytesPerClient <= 2048 && result.refetched === 0,
        ours: result.bytesPerClient,
        peer: 2048,
        ratio: result.bytesPerClient / 2048,
        unit: 'bytes',
        peerLabel: 'target',
      },
    ],
  };
}

const started = performance.now();
console.log(
  `mcp-cimd bench, Node ${process.version}; ${timing.warmupS} s warm-up + ${timing.durationS} s per load run (${timing.rounds} rounds, taking turns, for the token endpoint). Numbers are noisy (short runs, shared machine): compare ratios within one run, CPU ms/req across runs`,
);
const peerThreadPool = process.env.UV_THREADPOOL_SIZE || '4';
console.log(
  `thread pool: ours ${ourThreadPool} (what \`cimd serve\` gives itself on this machine), peers ${peerThreadPool} (Node's default unless UV_THREADPOOL_SIZE is set)`,
);
const report = {
  node: process.version,
  startedAt: new Date().toISOString(),
  timing,
  threadPool: { ours: Number(ourThreadPool), peers: Number(peerThreadPool) },
  machineBefore: await machine('machine before'),
  scenarios: {},
  targets: [],
};
// PostgreSQL and Redis variants run when a URL is given; each run uses its own schema / key
// prefix (BENCH_STORE_NAMESPACE), dropped at the end.
const postgresUrl = process.env.BENCH_DATABASE_URL ?? process.env.CIMD_TEST_DATABASE_URL;
const redisUrl = process.env.BENCH_REDIS_URL ?? process.env.CIMD_TEST_REDIS_URL;
const namespace = `cimd_bench_${process.pid}`;
process.env.BENCH_STORE_NAMESPACE = namespace;
async function dropNamespace() {
  if (postgresUrl) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${namespace} CASCADE`);
    await client.end();
  }
  if (redisUrl) {
    const { Redis } = await import('ioredis');
    const redis = new Redis(redisUrl);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  }
}
const common = { start, stop, timing, resource: RESOURCE, sqlitePath };
const scenarios = {
  bearer: () => bearerBench(common),
  refresh: () =>
    refreshBench({
      ...common,
      stores: [
        { key: 'sqlite', label: 'ours, SQLite store', spec: `sqlite:${sqlitePath('refresh')}` },
        ...(postgresUrl
          ? [
              {
                key: 'postgres',
                label: 'ours, PostgreSQL store',
                spec: postgresUrl,
                // Compared with the peer on the same database.
                peer: {
                  key: 'peer-postgres',
                  label: 'peer: oidc-provider 9.13.3 (PostgreSQL adapter)',
                  env: { BENCH_PEER_DATABASE_URL: postgresUrl },
                },
              },
            ]
          : []),
      ],
    }),
  authorize: () => authorizeBench(common),
  cold: () => coldBench({ ...common, redisUrl }),
  memory: () => memoryBench(),
};
try {
  for (const [name, run] of Object.entries(scenarios)) {
    if (!selected.has(name)) continue;
    try {
      const { results, targets } = await run();
      report.scenarios[name] = results;
      report.targets.push(...targets);
    } catch (error) {
      // A scenario that fails is a miss, reported, never skipped silently.
      console.error(`\n${name} FAILED: ${error?.stack ?? error}`);
      report.targets.push({
        id: name,
        target: `${name} scenario ran`,
        measured: `failed: ${error?.message ?? error}`,
        met: false,
      });
    }
  }
} finally {
  await stopAll();
  await dropNamespace().catch((error) => console.error(`could not drop ${namespace}: ${error.message}`));
}
report.machineAfter = await machine('\nmachine after (loadavg includes this run)');
report.seconds = (performance.now() - started) / 1000;

console.log('\n## Targets (measured in this run)');
for (const t of report.targets) {
  const verdict = t.met === undefined ? 'reported' : t.met ? 'MET' : 'NOT MET';
  console.log(`  ${verdict.padEnd(8)} ${t.target}: ${t.measured}`);
}
const out = resolve(values.out);
const svg = writeReport(out, report);
console.log(`\nwrote ${out} and ${svg}; total ${fmt(report.seconds, 0)} s`);
