/**
 * The client configuration file (`cimd-clients.json`): one identity per MCP server and purpose.
 * Each entry maps an MCP server URL to the client metadata document (its `client_id`) and the key
 * set this client uses with that server, so no two servers see the same identity and keys:
 *
 * ```json
 * {
 *   "servers": [
 *     { "url": "https://mcp.example.com/mcp", "clientId": "https://app.example.com/oauth/mcp-example.json",
 *       "keys": "./keys/mcp-example.json", "purpose": "triage tickets" },
 *     { "url": "https://tools.example.org", "match": "origin",
 *       "clientId": "https://app.example.com/oauth/tools.json" }
 *   ]
 * }
 * ```
 *
 * Selection is strict: an entry matches when its `url` equals the server URL (both parsed, the
 * fragment dropped; a trailing slash or another path is another server). An entry with
 * `"match": "origin"` also matches every URL of its origin, and is used only when no entry
 * matches exactly. Several entries for one server need distinct `purpose`s, and the caller then
 * names one.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { signClientAssertion } from '../keys/assertion.js';
import { loadKeySet } from '../keys/file.js';
import type { AssertionSignerLike } from './client-auth.js';
import { SignInError } from './errors.js';

/** The conventional file name of the client configuration. */
export const DEFAULT_CLIENT_CONFIG_FILE = 'cimd-clients.json';

/** One server's client identity. */
export interface ClientConfigEntry {
  /** The MCP server URL (normalized: parsed, without fragment). */
  url: string;
  /** `exact` (default): only this URL; `origin`: any URL of its origin, when no entry matches exactly. */
  match: 'exact' | 'origin';
  /** The https URL of the client metadata document used with this server (the `client_id`). */
  clientId: string;
  /** The key set file (from `cimd keys generate`), resolved against the config file's folder. */
  keys?: string;
  /** What this identity is for; required to tell apart two entries for one server. */
  purpose?: string;
  /** The entry's position in `servers`, from 0 (for messages). */
  index: number;
}

/** A parsed client configuration. */
export interface ClientConfig {
  /** The file it was read from, when read by {@link loadClientConfig}. */
  file?: string;
  /** The entries, in file order. */
  servers: readonly ClientConfigEntry[];
}

/** Options of {@link parseClientConfig}. */
export interface ParseClientConfigOptions {
  /** The folder relative `keys` paths are resolved against. Default: the working directory. */
  baseDir?: string;
  /** What to call the configuration in messages (a file name). Default `the client configuration`. */
  source?: string;
}

const ENTRY_MEMBERS = new Set(['url', 'match', 'clientId', 'keys', 'purpose']);

function configError(message: string): SignInError {
  return new SignInError('ERR_SIGNIN_CLIENT_CONFIG', message);
}

function parseUrl(value: unknown, protocols: readonly string[]): URL | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    if (!protocols.includes(url.protocol) || url.username || url.password) return undefined;
    return url;
  } catch {
    return undefined;
  }
}

/** The server URL as entries are compared: parsed, without fragment. */
function normalizeServerUrl(value: string | URL): string {
  const url = new URL(String(value));
  url.hash = '';
  return url.href;
}

function parseEntry(raw: unknown, index: number, source: string, baseDir: string): ClientConfigEntry {
  const label = (entry: Record<string, unknown>) =>
    `${source}: servers[${index}]${typeof entry.url === 'string' ? ` (${entry.url})` : ''}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw configError(`${source}: servers[${index}] must be an object with url and clientId`);
  }
  const entry = raw as Record<string, unknown>;
  const unknown = Object.keys(entry).filter((name) => !ENTRY_MEMBERS.has(name));
  if (unknown.length > 0) {
    throw configError(
      `${label(entry)}: unknown member ${unknown.map((name) => JSON.stringify(name)).join(', ')}; an entry has url, clientId, keys, purpose and match`,
    );
  }
  const url = parseUrl(entry.url, ['https:', 'http:']);
  if (url === undefined || url.hash) {
    throw configError(
      `${label(entry)}: url must be the MCP server's absolute http(s) URL without credentials or fragment, e.g. https://mcp.example.com/mcp; got ${JSON.stringify(entry.url)}`,
    );
  }
  const clientId = parseUrl(entry.clientId, ['https:']);
  if (clientId === undefined || clientId.hash || clientId.pathname === '/') {
    throw configError(
      `${label(entry)}: clientId must be the https URL of your client metadata document (with a path, no fragment); got ${JSON.stringify(entry.clientId)}`,
    );
  }
  if (entry.keys !== undefined && (typeof entry.keys !== 'string' || entry.keys === '')) {
    throw configError(`${label(entry)}: keys must be the path of a key set file (cimd keys generate)`);
  }
  if (entry.purpose !== undefined && (typeof entry.purpose !== 'string' || entry.purpose.trim() === '')) {
    throw configError(`${label(entry)}: purpose must be a non-empty string`);
  }
  if (entry.match !== undefined && entry.match !== 'exact' && entry.match !== 'origin') {
    throw configError(`${label(entry)}: match must be "exact" (the default) or "origin"`);
  }
  return {
    url: normalizeServerUrl(url),
    match: entry.match ?? 'exact',
    clientId: entry.clientId as string,
    ...(entry.keys === undefined ? {} : { keys: resolve(baseDir, entry.keys as string) }),
    ...(entry.purpose === undefined ? {} : { purpose: entry.purpose as string }),
    index,
  };
}

/**
 * Checks a parsed configuration (see the module description) and resolves `keys` paths.
 *
 * @throws SignInError `ERR_SIGNIN_CLIENT_CONFIG` naming the entry (`servers[1] (https://…)`) and
 *   what is wrong: not an object, an unknown member, a bad `url`/`clientId`/`keys`/`purpose`/
 *   `match`, or two entries for the same server and purpose.
 */
export function parseClientConfig(value: unknown, options: ParseClientConfigOptions = {}): ClientConfig {
  const source = options.source ?? 'the client configuration';
  const baseDir = options.baseDir ?? process.cwd();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw configError(`${source} must be a JSON object with a "servers" array`);
  }
  const top = value as Record<string, unknown>;
  const extra = Object.keys(top).filter((name) => name !== 'servers' && name !== '$schema');
  if (extra.length > 0) {
    throw configError(
      `${source}: unknown member ${extra.map((name) => JSON.stringify(name)).join(', ')}; only "servers" is read`,
    );
  }
  if (!Array.isArray(top.servers) || top.servers.length === 0) {
    throw configError(`${source}: "servers" must be a non-empty array of { url, clientId, keys?, purpose? }`);
  }
  const servers = top.servers.map((raw, index) => parseEntry(raw, index, source, baseDir));
  const seen = new Map<string, ClientConfigEntry>();
  for (const entry of servers) {
    const key = `${entry.match} ${entry.url} ${entry.purpose ?? ''}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw configError(
        `${source}: servers[${earlier.index}] and servers[${entry.index}] are both for ${entry.url}${entry.purpose ? ` with purpose "${entry.purpose}"` : ''}: one identity per server and purpose; give each a distinct purpose`,
      );
    }
    seen.set(key, entry);
  }
  return { servers };
}

/**
 * Reads and checks a client configuration file; relative `keys` paths are resolved against the
 * file's folder.
 *
 * @throws SignInError `ERR_SIGNIN_CLIENT_CONFIG` when the file cannot be read, is not JSON, or
 *   breaks a rule of {@link parseClientConfig}.
 */
export async function loadClientConfig(path: string): Promise<ClientConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw configError(`cannot read the client configuration ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw configError(`${path} is not JSON: ${(error as Error).message}`);
  }
  return { ...parseClientConfig(value, { baseDir: dirname(resolve(path)), source: path }), file: path };
}

/**
 * The entry for `serverUrl`: the entries whose `url` equals it, else the `"match": "origin"`
 * entries of its origin; among them the one with `options.purpose` when given, or the only one.
 *
 * @throws SignInError `ERR_SIGNIN_CLIENT_CONFIG` when no entry is for this server (the message
 *   lists the configured servers), when several are and no purpose picks one, or when the
 *   purpose matches none.
 */
export function clientFor(
  config: ClientConfig,
  serverUrl: string | URL,
  options: { purpose?: string } = {},
): ClientConfigEntry {
  const source = config.file ?? 'the client configuration';
  const url = normalizeServerUrl(serverUrl);
  const origin = new URL(url).origin;
  const exact = config.servers.filter((entry) => entry.match === 'exact' && entry.url === url);
  const candidates =
    exact.length > 0
      ? exact
      : config.servers.filter((entry) => entry.match === 'origin' && new URL(entry.url).origin === origin);
  if (candidates.length === 0) {
    const known = config.servers.map((entry) => `${entry.url}${entry.match === 'origin' ? ' (origin)' : ''}`);
    throw configError(
      `${source} has no entry for ${url} (matching is exact; add "match": "origin" to an entry to cover its whole origin); configured: ${known.join(', ')}`,
    );
  }
  if (options.purpose !== undefined) {
    const chosen = candidates.find((entry) => entry.purpose === options.purpose);
    if (chosen === undefined) {
      throw configError(
        `${source} has no entry for ${url} with purpose "${options.purpose}"; purposes for it: ${candidates.map((entry) => JSON.stringify(entry.purpose ?? '(none)')).join(', ')}`,
      );
    }
    return chosen;
  }
  if (candidates.length > 1) {
    throw configError(
      `${source} has ${candidates.length} entries for ${url}: name one by purpose (${candidates.map((entry) => JSON.stringify(entry.purpose ?? '(none)')).join(', ')})`,
    );
  }
  return candidates[0] as ClientConfigEntry;
}

/**
 * A signer that rereads the key set file at `path` at every assertion and signs with its current
 * key, so a rotation (`cimd keys rotate --auto`) takes effect without a restart. The file is read
 * once here to fail early.
 *
 * @throws KeySetError `ERR_KEYS_INVALID_FILE` when the key set file cannot be read.
 */
export async function rotatingKeySetSigner(path: string): Promise<AssertionSignerLike> {
  await loadKeySet(path);
  return async (claims) => signClientAssertion({ keySet: await loadKeySet(path), ...claims });
}

/**
 * The signer of an entry: {@link rotatingKeySetSigner} of `entry.keys`, or `undefined` when the
 * entry names no key set.
 *
 * @throws KeySetError `ERR_KEYS_INVALID_FILE` when the key set file cannot be read.
 */
export async function signerFor(entry: ClientConfigEntry): Promise<AssertionSignerLike | undefined> {
  return entry.keys === undefined ? undefined : rotatingKeySetSigner(entry.keys);
}

/**
 * The `connect()` / provider options for `serverUrl` from a configuration: its `client_id` as
 * `clientMetadataUrl` and, when the entry names a key set, a `signer` (see {@link signerFor}).
 *
 * ```ts
 * const config = await loadClientConfig('cimd-clients.json');
 * const client = await connect(serverUrl, { ...(await clientOptionsFor(config, serverUrl)), store });
 * ```
 *
 * @throws SignInError `ERR_SIGNIN_CLIENT_CONFIG` as {@link clientFor}.
 */
export async function clientOptionsFor(
  config: ClientConfig,
  serverUrl: string | URL,
  options: { purpose?: string } = {},
): Promise<{ clientMetadataUrl: string; signer?: AssertionSignerLike }> {
  const entry = clientFor(config, serverUrl, options);
  const signer = await signerFor(entry);
  return { clientMetadataUrl: entry.clientId, ...(signer === undefined ? {} : { signer }) };
}
