// Shared helpers of `npm run bench`: child servers, per-process CPU from /proc, load runs, machine check.
import { execFileSync, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import autocannon from 'autocannon';

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // keep the usual USER_HZ
}

/**
 * The thread pool size `cimd serve` gives itself on this machine (`dist/cli/thread-pool.cjs`: one
 * thread per core, 2 to 4, unless UV_THREADPOOL_SIZE is set), for our server children, which the
 * bench starts directly rather than through the `cimd` executable. The peers keep Node's default.
 */
export function cimdServeThreadPoolSize() {
  const { sizeThreadPool } = createRequire(import.meta.url)('../dist/cli/thread-pool.cjs');
  return sizeThreadPool({ ...process.env }, os.availableParallelism());
}

/** utime + stime of `pid` (all its threads), in ms; undefined without /proc. */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return undefined;
  }
}

/**
 * Starts `script` as a child; resolves when it sends `{ ready, port, ... }` over IPC. `execArgv`
 * are node flags for the child (e.g. `--expose-gc`); BENCH_NODE_ARGS (space-separated, e.g.
 * `--cpu-prof --cpu-prof-dir=prof`) adds to every child's, for profiling.
 */
export function startChild(script, args, env = {}, execArgv = []) {
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = fork(new URL(script, import.meta.url), args, {
    execArgv: [...execArgv, ...extra],
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${script} ${args.join(' ')} did not start within 30 s`));
    }, 30_000);
    child.once('message', (message) => {
      clearTimeout(timer);
      if (message?.ready) resolve({ child, ...message });
      else reject(new Error(`${script}: ${JSON.stringify(message)}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} ${args.join(' ')} exited early (${code})`));
    });
  });
}

/** Stops a child started by {@link startChild} and waits for it to exit. */
export async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

function cannon(options) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: 64, pipelining: 1, ...options }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
}

/**
 * Loads a server: `warmupS` seconds unmeasured, then `durationS` seconds measured, both
 * time-bounded. Returns rps (of answers in the `expect` class or classes: `'2xx'` by default, `'3xx'`, or a list),
 * p50/p99 latency (ms), server CPU ms per answered request, the other answers (`non2xx`, named
 * so for every class) and errors, and the status codes seen.
 */
export async function load(pid, options, { warmupS = 2, durationS = 5, expect = '2xx' } = {}) {
  if (warmupS > 0) await cannon({ ...options, duration: warmupS });
  const before = cpuMs(pid);
  const result = await cannon({ ...options, duration: durationS });
  const after = cpuMs(pid);
  const answered = result['2xx'] + result.non2xx;
  const good = [expect].flat().reduce((sum, kind) => sum + result[kind], 0);
  return {
    rps: good / durationS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuPerReq:
      before === undefined || after === undefined || answered === 0 ? NaN : (after - before) / answered,
    cores: before === undefined ? NaN : (after - before) / 1000 / durationS,
    ok: good,
    non2xx: answered - good,
    statuses: Object.fromEntries(
      Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]),
    ),
    errors: result.errors + result.timeouts,
  };
}

function busyTicks() {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const n = fields.map(Number);
    // user nice system idle iowait irq softirq steal
    return { busy: n[0] + n[1] + n[2] + n[5] + n[6] + n[7], total: n.slice(0, 8).reduce((a, b) => a + b, 0) };
  } catch {
    return undefined;
  }
}

/**
 * Machine idle check: load average, plus the cores busy over a 1 s sample from /proc/stat.
 * Busy when more than 0.25 cores are in use (or, without /proc, loadavg above a quarter of the cores).
 */
export async function machineCheck() {
  const cores = os.cpus().length;
  const [one, five] = os.loadavg();
  const before = busyTicks();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const after = busyTicks();
  const busyCores =
    before === undefined || after === undefined || after.total === before.total
      ? undefined
      : ((after.busy - before.busy) / (after.total - before.total)) * cores;
  const busy = busyCores === undefined ? one > cores * 0.25 : busyCores > 0.25;
  return { cores, one, five, busyCores, busy };
}

export const fmt = (value, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** Prints rows (arrays of strings) as an aligned table. */
export function table(header, rows) {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => String(row[i]).length)));
  const line = (row) =>
    row
      .map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i])))
      .join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

/**
 * Prints the load runs `runs` (`{ label, ...load() result }`) as a table: rps, latency, server
 * CPU per request, cores, non-2xx and errors, then one column per `extra` (`[title, (run) => cell]`).
 */
export function loadTable(runs, extra = [], rpsTitle = 'rps') {
  table(
    [
      'server',
      rpsTitle,
      'p50 ms',
      'p99 ms',
      'CPU ms/req',
      'cores',
      'non-2xx',
      'errors',
      ...extra.map(([title]) => title),
    ],
    runs.map((r) => [
      r.label,
      fmt(r.rps),
      fmt(r.p50),
      fmt(r.p99),
      fmt(r.cpuPerReq, 3),
      fmt(r.cores, 2),
      r.non2xx,
      r.errors,
      ...extra.map(([, cell]) => cell(r)),
    ]),
  );
}
