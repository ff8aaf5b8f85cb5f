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

/** Environment variables that name a backend `cimd serve` does not support yet, with why. */
export function unsupportedEnvironment(env: NodeJS.ProcessEnv): string[] {
  const notes: string[] = [];
  if ((env.REDIS_URL ?? '').trim() !== '') {
    notes.push('REDIS_URL is set but ignored: the Redis store is not supported yet');
  }
  return notes;
}
