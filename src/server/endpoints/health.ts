/**
 * Liveness (`/health`) and readiness (`/ready`). `/health` answers 200 `{"status":"ok"}` while
 * the process serves requests at all. `/ready` answers 200 `{"status":"ready"}` when the store
 * answers a cheap call and the signing keys are loaded, and the server is not draining; else 503
 * `{"status":"unavailable","reasons":[...]}` (a load balancer stops sending it traffic).
 *
 * @module
 */
import type { Hono } from 'hono';
import type { ServerContext } from '../authorization-server/context.js';

/** The cache key `/ready` reads to see the store answer (never written). */
const READY_PROBE_KEY = 'cimd:ready-probe';

/** The longest a readiness check waits for the store or the keys, in ms. */
const READY_TIMEOUT_MS = 2_000;

/** The answer of a readiness check. */
export interface Readiness {
  /** Whether the server should receive traffic. */
  readonly ready: boolean;
  /** Why not (`store_unavailable: …`, `signing_keys_unavailable: …`, `draining`); empty when ready. */
  readonly reasons: readonly string[];
}

/** Whether the server is draining, as told by {@link ReadinessState.drain}. */
export interface ReadinessState {
  readonly draining: boolean;
  /** From now on `/ready` answers 503 `draining` (a graceful shutdown began). */
  drain(): void;
}

/** A fresh, not draining, readiness state. */
export function createReadinessState(): ReadinessState {
  let draining = false;
  return {
    get draining() {
      return draining;
    },
    drain() {
      draining = true;
    },
  };
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer within ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function reasonOf(prefix: string, error: unknown): string {
  return `${prefix}: ${error instanceof Error ? error.message : String(error)}`;
}

/** Checks the store (a cache read) and the signing keys (a non-empty public key set). */
export async function checkReadiness(context: ServerContext, state: ReadinessState): Promise<Readiness> {
  const reasons: string[] = [];
  if (state.draining) reasons.push('draining: the server is shutting down');
  const [store, keys] = await Promise.allSettled([
    withTimeout(context.store.cacheGet(READY_PROBE_KEY), 'the store'),
    withTimeout(context.signingKeys.publicJwks(), 'the signing keys'),
  ]);
  if (store.status === 'rejected') reasons.push(reasonOf('store_unavailable', store.reason));
  if (keys.status === 'rejected') reasons.push(reasonOf('signing_keys_unavailable', keys.reason));
  else if (keys.value.keys.length === 0) reasons.push('signing_keys_unavailable: no signing key is loaded');
  return { ready: reasons.length === 0, reasons };
}

/** The HTTP answer of `/ready` for `readiness`. */
export function readinessResponse(readiness: Readiness): Response {
  const body = readiness.ready ? { status: 'ready' } : { status: 'unavailable', reasons: readiness.reasons };
  return Response.json(body, {
    status: readiness.ready ? 200 : 503,
    headers: { 'cache-control': 'no-store' },
  });
}

/** The HTTP answer of `/health`. */
export function healthResponse(): Response {
  return Response.json({ status: 'ok' }, { headers: { 'cache-control': 'no-store' } });
}

/** Mounts `/health` and `/ready`. */
export function registerHealthRoutes(app: Hono, context: ServerContext, state: ReadinessState): void {
  app.get(context.endpoints.health.path, () => healthResponse());
  app.get(context.endpoints.ready.path, async () => readinessResponse(await checkReadiness(context, state)));
}
