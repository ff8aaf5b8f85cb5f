/**
 * The size `cimd` gives libuv's thread pool, where the server verifies client assertions
 * (ES256 on `node:crypto`'s thread pool) and does its file and DNS work.
 *
 * Node starts 4 threads whatever the machine. On a machine with fewer than 4 cores those threads
 * and the event loop's own take turns on the same cores, and every switch between them costs CPU:
 * on 2 cores a thread pool of 2 measured 3 to 9% less CPU per refresh grant than 4
 * (docs/development.md, "Benchmarks"). So the pool gets one thread per core, at least 2 and at
 * most Node's 4; an operator's own `UV_THREADPOOL_SIZE` always wins.
 *
 * CommonJS on purpose: libuv reads `UV_THREADPOOL_SIZE` once, when the pool first starts, and an
 * ES module entry point is itself read on that pool, so only a CommonJS entry runs early enough
 * (see `cimd.cts`).
 *
 * @module
 */

/** Node's own thread pool size, and the largest this module chooses. */
const NODE_DEFAULT_THREAD_POOL_SIZE = 4;
/** The smallest pool chosen: one thread may work while another waits on a file or a lookup. */
const MIN_THREAD_POOL_SIZE = 2;

/**
 * The thread pool size for a machine with `cores` cores (`os.availableParallelism()`): `cores`
 * clamped to 2 through 4. A count that is not a positive number gives Node's default, 4.
 */
function threadPoolSizeFor(cores: number): number {
  if (!Number.isFinite(cores) || cores < 1) return NODE_DEFAULT_THREAD_POOL_SIZE;
  return Math.min(NODE_DEFAULT_THREAD_POOL_SIZE, Math.max(MIN_THREAD_POOL_SIZE, Math.floor(cores)));
}

/**
 * Sets `env.UV_THREADPOOL_SIZE` to {@link threadPoolSizeFor} `cores` unless it is already set
 * (to anything: the operator's value, even an invalid one, is left for libuv to read). Returns
 * the value in effect. Call it before anything uses the thread pool.
 */
function sizeThreadPool(env: Record<string, string | undefined>, cores: number): string {
  const chosen = env.UV_THREADPOOL_SIZE;
  if (chosen !== undefined && chosen !== '') return chosen;
  const size = String(threadPoolSizeFor(cores));
  env.UV_THREADPOOL_SIZE = size;
  return size;
}

/** What `require('./thread-pool.cjs')` gives: {@link threadPoolSizeFor} and {@link sizeThreadPool}. */
export interface ThreadPoolSizing {
  threadPoolSizeFor: typeof threadPoolSizeFor;
  sizeThreadPool: typeof sizeThreadPool;
}

module.exports = { threadPoolSizeFor, sizeThreadPool } satisfies ThreadPoolSizing;
