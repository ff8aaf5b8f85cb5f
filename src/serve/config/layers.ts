/**
 * A configuration layer (the flags, the environment, the config file) and how layers merge:
 * each key takes the value of the highest layer that sets it, and remembers where it came from.
 *
 * @module
 */
import type { ConfigKey } from './catalog.js';

/** Values of some keys, and where each came from (for error messages). */
export interface ConfigLayer {
  values: Partial<Record<ConfigKey, unknown>>;
  /** A human label per key, e.g. `--port`, `CIMD_PORT`, `"port" in ./cimd.json`. */
  sources: Partial<Record<ConfigKey, string>>;
}

/** A layer that sets nothing. */
export function emptyLayer(): ConfigLayer {
  return { values: {}, sources: {} };
}

/** Sets `key` in `layer` (ignoring `undefined`). */
export function setValue(layer: ConfigLayer, key: ConfigKey, value: unknown, source: string): void {
  if (value === undefined) return;
  layer.values[key] = value;
  layer.sources[key] = source;
}

/** Merges layers, highest precedence first (flags, environment, config file, a caller's defaults). */
export function mergeLayers(...layers: readonly ConfigLayer[]): ConfigLayer {
  const merged = emptyLayer();
  for (const layer of [...layers].reverse()) {
    for (const [key, value] of Object.entries(layer.values) as [ConfigKey, unknown][]) {
      setValue(merged, key, value, layer.sources[key] ?? key);
    }
  }
  return merged;
}
