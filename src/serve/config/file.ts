/**
 * The config-file layer of `cimd serve`: one JSON object whose keys are the camelCase keys of
 * the docs/configuration.md table (`{"port": 4000, "resources": ["https://mcp.example.com/mcp"]}`). Relative
 * file paths in it (`database`, `signingKeys`, `tlsCert`, `tlsKey`, `upstreamClientSecretFile`,
 * `upstreamKey`, `encryptionKeyFile`, `dpopNonceSecretFile`) are relative to the file.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ConfigKey } from './catalog.js';
import { ConfigError } from './errors.js';
import { type ConfigLayer, emptyLayer, setValue } from './layers.js';

const PATH_KEYS: ReadonlySet<string> = new Set([
  'database',
  'signingKeys',
  'tlsCert',
  'tlsKey',
  'upstreamClientSecretFile',
  'upstreamKey',
  'encryptionKeyFile',
  'dpopNonceSecretFile',
]);

/** True for a file path (not `:memory:`, not a URL such as `sqlite:x` or `postgres://…`). */
function isPlainPath(value: string): boolean {
  return value !== ':memory:' && !/^[a-z][a-z0-9+.-]+:/i.test(value);
}

/**
 * Reads the config file at `path` (absolute). Keys are not checked here: the schema reports
 * unknown ones with the list of known keys.
 *
 * @throws ConfigError when the file cannot be read, is not JSON, or is not a JSON object.
 */
export async function readConfigFile(path: string): Promise<ConfigLayer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`cannot read the config file ${path}: ${(error as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`the config file ${path} is not valid JSON: ${(error as Error).message}`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([`the config file ${path} must hold a JSON object of options`]);
  }
  const layer = emptyLayer();
  const base = dirname(path);
  for (const [key, value] of Object.entries(parsed)) {
    const resolved =
      PATH_KEYS.has(key) && typeof value === 'string' && isPlainPath(value) && !isAbsolute(value)
        ? resolve(base, value)
        : value;
    setValue(layer, key as ConfigKey, resolved, `"${key}" in ${path}`);
  }
  return layer;
}
