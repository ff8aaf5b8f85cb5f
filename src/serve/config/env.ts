/**
 * The environment layer of `cimd serve`: `CIMD_*` variables, plus `PORT`, `HOST`,
 * `DATABASE_URL` and `LOG_LEVEL` (see the catalog). An empty variable counts as unset. Values
 * stay text here; the schema parses them (lists are comma-separated).
 *
 * @module
 */
import { SERVE_OPTIONS } from './catalog.js';
import { type ConfigLayer, emptyLayer, setValue } from './layers.js';

/** The layer of `env` (normally `process.env`). */
export function readEnvLayer(env: NodeJS.ProcessEnv): ConfigLayer {
  const layer = emptyLayer();
  for (const spec of SERVE_OPTIONS) {
    const name = spec.env.find((candidate) => (env[candidate] ?? '').trim() !== '');
    if (name !== undefined) setValue(layer, spec.key, env[name], name);
  }
  return layer;
}

/**
 * Environment variables `cimd serve` does not read although a user may expect it to, with why:
 * `REDIS_URL` does not select the Redis store (only `--database`/`DATABASE_URL` choose the store,
 * so one variable left over from another tool never moves the data somewhere else).
 */
export function unsupportedEnvironment(env: NodeJS.ProcessEnv): string[] {
  const notes: string[] = [];
  const redis = (env.REDIS_URL ?? '').trim();
  if (redis !== '' && (env.DATABASE_URL ?? '').trim() !== redis) {
    notes.push(
      'REDIS_URL is set but ignored: choose the Redis store with --database redis://… or DATABASE_URL',
    );
  }
  return notes;
}
