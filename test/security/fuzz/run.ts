/**
 * Sending fuzzed requests and keeping score: one request at a time, in process
 * (`server.fetch`), each judged by the oracle; status counts per endpoint, findings with the
 * first examples, unhandled rejections, and the heap after a forced GC.
 *
 * Two modes: `strict` (the property throws on the first finding, so fast-check shrinks it and
 * prints the seed: the `npm test` slice) and `collect` (every request runs and is counted; the
 * first few failing runs are then replayed by their fast-check path and shrunk: `npm run fuzz`).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { toResponse } from '../../../src/server/index.js';
import { fuzzRequest } from './arbitraries.js';
import { type Finding, judge } from './oracle.js';
import { type FuzzRequest, type Materialized, materialize } from './requests.js';
import type { World } from './world.js';

/** How long one request may take before it counts as a hang, in ms. */
const HANG_MS = 20_000;

/** The score of a run. */
export interface FuzzStats {
  requests: number;
  byStatus: Record<string, number>;
  /** `target METHOD path` → status → count. */
  byEndpoint: Record<string, Record<string, number>>;
  /** `target METHOD path` → milliseconds spent. */
  msByEndpoint: Record<string, number>;
  /** 503 `temporarily_unavailable` with `Retry-After`: the fetch budget (allowed). */
  budget503: number;
  /** Requests whose body broke on purpose. */
  aborted: number;
  /** Their 5xx answers (allowed: nobody reads them). */
  aborted5xx: number;
  /** Header lines the Headers API refused to build (never sent). */
  droppedHeaders: number;
  /** Generated requests the Request API refused to build (a generator bug; never sent), with the first reason. */
  unsendable: number;
  unsendableReason?: string;
  /** Findings by kind (see oracle.ts). */
  findings: Record<string, number>;
  /** Requests with at least one finding. */
  failedRequests: number;
  /** The first failing requests, as generated (run index, findings, request). */
  examples: { run: number; findings: Finding[]; request: FuzzRequest }[];
  /** Unhandled rejections and uncaught exceptions seen while fuzzing. */
  unhandled: string[];
  startedAt: number;
  elapsedMs: number;
}

export function newStats(): FuzzStats {
  return {
    requests: 0,
    byStatus: {},
    byEndpoint: {},
    msByEndpoint: {},
    budget503: 0,
    aborted: 0,
    aborted5xx: 0,
    droppedHeaders: 0,
    unsendable: 0,
    findings: {},
    failedRequests: 0,
    examples: [],
    unhandled: [],
    startedAt: Date.now(),
    elapsedMs: 0,
  };
}

const KNOWN_PATHS = new Set([
  '/authorize',
  '/consent',
  '/authorize/return',
  '/token',
  '/revoke',
  '/register',
  '/jwks',
  '/health',
  '/upstream/callback',
  '/logout',
  '/mcp',
  '/mcp/write',
]);

function endpointOf(fuzz: FuzzRequest, m: Materialized | undefined): string {
  const path = m?.url.pathname ?? fuzz.path;
  const key = KNOWN_PATHS.has(path)
    ? path
    : path.startsWith('/logo/')
      ? '/logo/:id'
      : path.startsWith('/.well-known/')
        ? '/.well-known/*'
        : '(other)';
  return `${fuzz.target} ${fuzz.method.toUpperCase()} ${key}`;
}

/** What one request did. */
export interface Outcome {
  /** The status, or `thrown` / `hang`. */
  status: string;
  findings: Finding[];
  endpoint: string;
  /** Time to answer (and read the body), in ms. */
  ms: number;
  /** Why the request could not be built (never sent). */
  unsendable?: string;
  budget503: boolean;
  aborted: boolean;
  droppedHeaders: number;
}

async function dispatch(world: World, fuzz: FuzzRequest, m: Materialized): Promise<Response> {
  switch (fuzz.target) {
    case 'as':
    case 'budget':
    case 'upstream':
      return world.servers[fuzz.target].fetch(m.request, m.env);
    case 'resource':
      return world.resourceApp.fetch(m.request);
    case 'bearer': {
      const result = await world.bearer(m.bearer ?? { authorization: undefined });
      return result.ok ? Response.json({ ok: true }) : toResponse(result.reply, m.request.method);
    }
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const at = error.stack?.split('\n').find((line) => line.includes('/src/')) ?? '';
  return `${error.name}: ${error.message}${at === '' ? '' : ` ${at.trim()}`}`;
}

/** Sends one fuzzed request and judges the answer. */
export async function send(world: World, fuzz: FuzzRequest): Promise<Outcome> {
  let m: Materialized;
  try {
    m = materialize(world, fuzz);
  } catch (error) {
    return {
      status: 'unsendable',
      findings: [],
      endpoint: endpointOf(fuzz, undefined),
      ms: 0,
      budget503: false,
      aborted: false,
      droppedHeaders: 0,
      unsendable: describe(error),
    };
  }
  const endpoint = endpointOf(fuzz, m);
  const started = performance.now();
  const base = {
    endpoint,
    aborted: m.aborted,
    droppedHeaders: m.droppedHeaders,
    budget503: false,
    get ms() {
      return performance.now() - started;
    },
  };
  const errorsBefore = world.logs.byLevel.error ?? 0;
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), HANG_MS);
  });
  try {
    let response: Response | 'hang';
    try {
      response = await Promise.race([dispatch(world, fuzz, m), hang]);
    } catch (error) {
      return { ...base, status: 'thrown', findings: [{ kind: 'threw', detail: describe(error) }] };
    }
    if (response === 'hang') {
      return { ...base, status: 'hang', findings: [{ kind: 'hang', detail: `no answer in ${HANG_MS} ms` }] };
    }
    let body = '';
    try {
      body = m.request.method === 'HEAD' ? '' : await response.text();
    } catch (error) {
      return {
        ...base,
        status: String(response.status),
        findings: [{ kind: 'body-error', detail: describe(error) }],
      };
    }
    const findings = judge(world, fuzz, m, response, body);
    // An error-level log line is the server saying "this should not happen": a finding, except
    // for a body that broke on purpose (issue 9 flaw 7: that one is logged at error today).
    const logged = (world.logs.byLevel.error ?? 0) - errorsBefore;
    if (logged > 0 && !m.aborted) {
      const last = world.logs.lastError;
      findings.push({ kind: 'error-log', detail: `${logged} error line(s), last: ${JSON.stringify(last)}` });
    }
    const budget503 =
      response.status === 503 && findings.every((finding) => finding.kind !== '5xx') && !m.aborted;
    return { ...base, status: String(response.status), findings, budget503 };
  } finally {
    clearTimeout(timer);
  }
}

/** Counts `outcome` (run number `run`) into `stats`. */
export function record(stats: FuzzStats, run: number, fuzz: FuzzRequest, outcome: Outcome, keep = 5): void {
  if (outcome.unsendable !== undefined) {
    stats.unsendable += 1;
    stats.unsendableReason ??= `${outcome.unsendable} — ${show(fuzz)}`;
    return;
  }
  stats.requests += 1;
  stats.byStatus[outcome.status] = (stats.byStatus[outcome.status] ?? 0) + 1;
  stats.msByEndpoint[outcome.endpoint] = (stats.msByEndpoint[outcome.endpoint] ?? 0) + outcome.ms;
  const endpoint = stats.byEndpoint[outcome.endpoint] ?? {};
  stats.byEndpoint[outcome.endpoint] = endpoint;
  endpoint[outcome.status] = (endpoint[outcome.status] ?? 0) + 1;
  if (outcome.budget503) stats.budget503 += 1;
  if (outcome.aborted) stats.aborted += 1;
  if (outcome.aborted && outcome.status.startsWith('5')) stats.aborted5xx += 1;
  stats.droppedHeaders += outcome.droppedHeaders;
  if (outcome.findings.length > 0) {
    stats.failedRequests += 1;
    for (const finding of outcome.findings)
      stats.findings[finding.kind] = (stats.findings[finding.kind] ?? 0) + 1;
    if (stats.examples.length < keep) stats.examples.push({ run, findings: outcome.findings, request: fuzz });
  }
  stats.elapsedMs = Date.now() - stats.startedAt;
}

/** A finding as a property failure (fast-check shrinks it and prints the seed). */
export class FindingError extends Error {
  readonly findings: Finding[];
  constructor(findings: Finding[]) {
    super(findings.map((finding) => `${finding.kind}: ${finding.detail}`).join('\n'));
    this.name = 'FindingError';
    this.findings = findings;
  }
}

/** Options of {@link runFuzz}. */
export interface RunOptions {
  seed: number;
  numRuns: number;
  /** Throw on the first finding (shrink it) instead of counting on. */
  strict: boolean;
  /** Make fresh pools every this many requests (codes get used up). Default: never. */
  replenishEvery?: number;
  /** Called every `progressEvery` requests. */
  onProgress?: (stats: FuzzStats) => void | Promise<void>;
  progressEvery?: number;
}

/** The fast-check property over `world`, counting into `stats`. */
export function fuzzProperty(
  world: World,
  stats: FuzzStats,
  options: Pick<RunOptions, 'strict' | 'replenishEvery' | 'onProgress' | 'progressEvery'>,
) {
  let run = 0;
  return fc.asyncProperty(fuzzRequest(), async (fuzz) => {
    const current = run++;
    if (options.replenishEvery !== undefined && current > 0 && current % options.replenishEvery === 0) {
      await world.replenish();
    }
    const outcome = await send(world, fuzz);
    record(stats, current, fuzz, outcome);
    if (options.onProgress !== undefined && stats.requests % (options.progressEvery ?? 10_000) === 0) {
      await options.onProgress(stats);
    }
    if (options.strict && outcome.findings.length > 0) throw new FindingError(outcome.findings);
  });
}

/** Runs the fuzzer; unhandled rejections during the run are counted in `stats.unhandled`. */
export async function runFuzz(
  world: World,
  options: RunOptions,
  stats = newStats(),
): Promise<{ stats: FuzzStats; details: fc.RunDetails<[FuzzRequest]> }> {
  const onUnhandled = (reason: unknown) => {
    stats.unhandled.push(describe(reason));
  };
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  try {
    const details = await fc.check(fuzzProperty(world, stats, options), {
      seed: options.seed,
      numRuns: options.numRuns,
    });
    stats.elapsedMs = Date.now() - stats.startedAt;
    return { stats, details };
  } finally {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
  }
}

/** A failing run replayed by its fast-check path and shrunk: the smallest request that still fails. */
export async function shrinkRun(
  world: World,
  seed: number,
  run: number,
): Promise<{ request: FuzzRequest; findings: string; path: string } | undefined> {
  const stats = newStats();
  const details = await fc.check(fuzzProperty(world, stats, { strict: true }), {
    seed,
    path: String(run),
  });
  if (!details.failed || details.counterexample === null) return undefined;
  const [request] = details.counterexample;
  const error = details.errorInstance;
  return {
    request,
    findings: error instanceof Error ? error.message : String(error),
    path: details.counterexamplePath ?? String(run),
  };
}

/** The heap in use after a full garbage collection, in bytes. */
export function heapAfterGc(): number {
  let gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** A request as one line of JSON (placeholders kept, big values elided). */
export function show(request: FuzzRequest): string {
  const text = JSON.stringify(request, (_key, value) =>
    typeof value === 'string' && value.length > 300
      ? `${value.slice(0, 300)}…(${value.length} chars)`
      : value,
  );
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text;
}

/** Everything the long run reports. */
export interface FuzzReport {
  seed: number;
  numRuns: number;
  stats: FuzzStats;
  /** Heap in use after a forced GC, in bytes: after setup, every `progressEvery` requests, at the end. */
  heap: { requests: number; bytes: number }[];
  /** The first failing runs, shrunk. */
  shrunk: { run: number; path: string; findings: string; request: string }[];
  /** Error-level log lines in all. */
  errorLogLines: number;
  /** Nothing broke: no finding, no unhandled rejection, nothing unsendable. */
  ok: boolean;
}

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

/** The report as text. */
export function formatReport(report: FuzzReport): string {
  const { stats } = report;
  const seconds = stats.elapsedMs / 1000;
  const statuses = Object.entries(stats.byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status}: ${count}`)
    .join(', ');
  const fiveXx = Object.entries(stats.byStatus)
    .filter(([status]) => /^5\d\d$/.test(status))
    .reduce((sum, [, count]) => sum + count, 0);
  const findings = Object.entries(stats.findings);
  const crashes =
    (stats.findings.threw ?? 0) + (stats.findings['body-error'] ?? 0) + (stats.findings.hang ?? 0);
  const [first] = report.heap;
  const last = report.heap.at(-1);
  const endpoints = Object.entries(stats.byEndpoint)
    .sort(([, a], [, b]) => sum(b) - sum(a))
    .map(([endpoint, counts]) => {
      const ms = stats.msByEndpoint[endpoint] ?? 0;
      const total = sum(counts);
      const list = Object.entries(counts)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([status, count]) => `${status}×${count}`)
        .join(' ');
      return `  ${endpoint.padEnd(34)} ${String(total).padStart(6)}  ${(ms / total).toFixed(2).padStart(6)} ms  ${list}`;
    });
  const lines = [
    '── mcp-cimd fuzz report (issue 9) ──',
    `seed ${report.seed}: replay with CIMD_FUZZ_SEED=${report.seed} CIMD_FUZZ_RUNS=${report.numRuns} npm run fuzz`,
    `requests: ${stats.requests} in ${seconds.toFixed(1)} s (${(stats.requests / seconds).toFixed(0)} requests/s)`,
    `status counts: ${statuses}`,
    `5xx: ${stats.findings['5xx'] ?? 0} (findings). Allowed, not counted: ${stats.budget503} fetch-budget 503s (temporarily_unavailable with Retry-After), ${stats.aborted5xx} answers to the ${stats.aborted} requests whose body broke on purpose (${fiveXx} 5xx statuses in all)`,
    `findings: ${findings.length === 0 ? 'none' : findings.map(([kind, count]) => `${kind} ${count}`).join(', ')} (${stats.failedRequests} failing requests)`,
    `crashes: ${crashes} (thrown ${stats.findings.threw ?? 0}, body errors ${stats.findings['body-error'] ?? 0}, hangs ${stats.findings.hang ?? 0}); unhandled rejections: ${stats.unhandled.length}`,
    `error-level log lines: ${report.errorLogLines} (those of requests whose body broke on purpose are not findings)`,
    `heap after GC: ${first ? mb(first.bytes) : '?'} after setup → ${last ? mb(last.bytes) : '?'} after ${stats.requests} requests; checkpoints: ${report.heap
      .map((point) => `${point.requests}: ${mb(point.bytes)}`)
      .join(', ')}`,
    `not sent: ${stats.unsendable} unbuildable requests${stats.unsendableReason ? ` (first: ${stats.unsendableReason})` : ''}; ${stats.droppedHeaders} header lines the Headers API refused`,
    'by endpoint (requests, mean time, statuses):',
    ...endpoints,
  ];
  if (stats.unhandled.length > 0)
    lines.push('unhandled:', ...stats.unhandled.slice(0, 5).map((line) => `  ${line}`));
  for (const example of report.shrunk) {
    lines.push(
      `failing run ${example.run} (path ${example.path}), shrunk:`,
      `  ${example.request}`,
      `  ${example.findings.replaceAll('\n', '\n  ')}`,
    );
  }
  for (const example of stats.examples.slice(report.shrunk.length)) {
    lines.push(
      `failing run ${example.run}:`,
      `  ${show(example.request)}`,
      ...example.findings.map((finding) => `  ${finding.kind}: ${finding.detail}`),
    );
  }
  lines.push(report.ok ? 'RESULT: ok' : 'RESULT: FAILED');
  return lines.join('\n');
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((total, count) => total + count, 0);
}
