/**
 * Every option of `cimd serve` in one table: its config-file key, its flag, its environment
 * variables, its default and unit. The flags, the environment reader, the help text and the
 * README table all follow it.
 *
 * @module
 */
import { UPSTREAM_OPTIONS, type UpstreamConfigKey } from './catalog-upstream.js';

/** How an option's text (a flag or an environment variable) is read. */
export type OptionKind = 'string' | 'integer' | 'boolean' | 'list' | 'choice';

/** One option of `cimd serve`. */
export interface ServeOptionSpec {
  /** The key in the JSON config file (camelCase). */
  readonly key: ConfigKey;
  /**
   * The flag as commander declares it, e.g. `--port <port>` or `--no-registration`; absent for a
   * secret read from the environment only (a flag would show in the process list).
   */
  readonly flag?: string;
  /**
   * A secret: its value is never quoted in a message, and it is refused in the config file (use
   * its `…File` twin there). Default `false`.
   */
  readonly secret?: boolean;
  /** Whether the flag may be repeated (each value is added to a list). */
  readonly repeatable?: boolean;
  /** Environment variables, the first one set wins. */
  readonly env: readonly string[];
  readonly kind: OptionKind;
  /** The help text. */
  readonly description: string;
  /** The default, as the documentation states it. */
  readonly defaultText: string;
  /** The unit of a number, when it has one. */
  readonly unit?: string;
}

/** The keys of the config file. */
export type ConfigKey =
  | 'host'
  | 'port'
  | 'issuer'
  | 'resources'
  | 'demo'
  | 'store'
  | 'database'
  | 'registration'
  | 'trustMode'
  | 'allow'
  | 'deny'
  | 'trusted'
  | 'accessTokenTtl'
  | 'refreshTokenTtl'
  | 'scopes'
  | 'signingKeys'
  | 'allowPrivateNetwork'
  | 'dangerouslyAllowHttpClientIds'
  | 'tlsCert'
  | 'tlsKey'
  | UpstreamConfigKey
  | 'logLevel';

/** The options of `cimd serve` before the sign-in ones (see `catalog-upstream.ts`). */
const CORE_OPTIONS: readonly ServeOptionSpec[] = [
  {
    key: 'port',
    flag: '--port <port>',
    env: ['CIMD_PORT', 'PORT'],
    kind: 'integer',
    description: 'TCP port to listen on (0 picks a free one)',
    defaultText: '4000',
  },
  {
    key: 'host',
    flag: '--host <address>',
    env: ['CIMD_HOST', 'HOST'],
    kind: 'string',
    description: 'address to listen on',
    defaultText: '127.0.0.1',
  },
  {
    key: 'issuer',
    flag: '--issuer <url>',
    env: ['CIMD_ISSUER'],
    kind: 'string',
    description: 'issuer identifier: https, or http on a loopback host only',
    defaultText: 'http://<host>:<port> (https with --tls-cert)',
  },
  {
    key: 'resources',
    flag: '--resource <uri>',
    repeatable: true,
    env: ['CIMD_RESOURCES'],
    kind: 'list',
    description: 'an MCP server URL tokens are issued for (RFC 8707); repeatable, the first is the default',
    defaultText: 'required (with --demo: the demo MCP server)',
  },
  {
    key: 'demo',
    flag: '--demo',
    env: ['CIMD_DEMO'],
    kind: 'boolean',
    description: 'also start the demo MCP server, demo client and client documents (loopback only)',
    defaultText: 'off',
  },
  {
    key: 'store',
    flag: '--store <kind>',
    env: ['CIMD_STORE'],
    kind: 'choice',
    description: 'where codes, tokens, replay records and cached documents live: memory or sqlite',
    defaultText: 'sqlite',
  },
  {
    key: 'database',
    flag: '--database <path-or-url>',
    env: ['DATABASE_URL'],
    kind: 'string',
    description:
      'the SQLite file: a path, sqlite:<path> or file:<path> (postgres: and redis: are not supported yet)',
    defaultText: './cimd.sqlite',
  },
  {
    key: 'registration',
    flag: '--no-registration',
    env: ['CIMD_REGISTRATION'],
    kind: 'boolean',
    description: 'turn Dynamic Client Registration (/register) off: CIMD clients only',
    defaultText: 'on',
  },
  {
    key: 'trustMode',
    flag: '--trust-mode <mode>',
    env: ['CIMD_TRUST_MODE'],
    kind: 'choice',
    description: 'open: any valid client document; allowlist: only --allow and --trusted entries',
    defaultText: 'open',
  },
  {
    key: 'allow',
    flag: '--allow <entry>',
    repeatable: true,
    env: ['CIMD_ALLOW'],
    kind: 'list',
    description: 'a client_id URL or host pattern (example.com, *.example.com) to allow; repeatable',
    defaultText: 'none',
  },
  {
    key: 'deny',
    flag: '--deny <entry>',
    repeatable: true,
    env: ['CIMD_DENY'],
    kind: 'list',
    description: 'a client_id URL or host pattern to refuse (wins over every other entry); repeatable',
    defaultText: 'none',
  },
  {
    key: 'trusted',
    flag: '--trusted <entry>',
    repeatable: true,
    env: ['CIMD_TRUSTED'],
    kind: 'list',
    description: 'a client_id URL or host pattern to trust (and allow); repeatable',
    defaultText: 'none',
  },
  {
    key: 'accessTokenTtl',
    flag: '--access-token-ttl <seconds>',
    env: ['CIMD_ACCESS_TOKEN_TTL'],
    kind: 'integer',
    description: 'access token lifetime (at most 86400)',
    defaultText: '600',
    unit: 'seconds',
  },
  {
    key: 'refreshTokenTtl',
    flag: '--refresh-token-ttl <seconds>',
    env: ['CIMD_REFRESH_TOKEN_TTL'],
    kind: 'integer',
    description: 'absolute lifetime of a refresh token family (at most 31536000)',
    defaultText: '2592000 (30 days)',
    unit: 'seconds',
  },
  {
    key: 'scopes',
    flag: '--scopes <list>',
    env: ['CIMD_SCOPES'],
    kind: 'list',
    description: 'scopes to advertise and accept, space- or comma-separated',
    defaultText: 'none advertised, any accepted',
  },
  {
    key: 'signingKeys',
    flag: '--signing-keys <file>',
    env: ['CIMD_SIGNING_KEYS'],
    kind: 'string',
    description: 'file keeping the token signing keys across restarts (mode 0600)',
    defaultText: '<database>.signing-keys.json beside the SQLite file; in memory with --store memory',
  },
  {
    key: 'allowPrivateNetwork',
    flag: '--allow-private-network',
    env: ['CIMD_ALLOW_PRIVATE_NETWORK'],
    kind: 'boolean',
    description: 'DEVELOPMENT ONLY: accept client documents and keys on this machine or a private network',
    defaultText: 'off',
  },
  {
    key: 'dangerouslyAllowHttpClientIds',
    flag: '--dangerously-allow-http-client-ids',
    env: ['CIMD_DANGEROUSLY_ALLOW_HTTP_CLIENT_IDS'],
    kind: 'boolean',
    description: 'DEVELOPMENT ONLY: accept http://127.0.0.1, http://[::1] and http://localhost client_ids',
    defaultText: 'off',
  },
  {
    key: 'tlsCert',
    flag: '--tls-cert <file>',
    env: ['CIMD_TLS_CERT'],
    kind: 'string',
    description: 'PEM certificate (chain) to serve https directly; needs --tls-key',
    defaultText: 'none (plain http)',
  },
  {
    key: 'tlsKey',
    flag: '--tls-key <file>',
    env: ['CIMD_TLS_KEY'],
    kind: 'string',
    description: 'PEM private key of --tls-cert',
    defaultText: 'none',
  },
];

/** The options of `cimd serve`, in the order `--help` and the README list them. */
export const SERVE_OPTIONS: readonly ServeOptionSpec[] = Object.freeze([
  ...CORE_OPTIONS,
  ...UPSTREAM_OPTIONS,
  {
    key: 'logLevel',
    flag: '--log-level <level>',
    env: ['CIMD_LOG_LEVEL', 'LOG_LEVEL'],
    kind: 'choice',
    description: 'fatal, error, warn, info, debug, trace or silent',
    defaultText: 'info',
  },
] satisfies ServeOptionSpec[]);

/** The flag and environment variable of the config file itself (not a key of the file). */
export const CONFIG_FILE_OPTION = Object.freeze({
  flag: '--config <file>',
  env: 'CIMD_CONFIG',
  description: 'a JSON file of options (keys as in the README table)',
});

/** The spec of `key`. */
export function specOf(key: ConfigKey): ServeOptionSpec {
  const spec = SERVE_OPTIONS.find((candidate) => candidate.key === key);
  if (spec === undefined) throw new Error(`no option ${key}`); // unreachable: ConfigKey is closed
  return spec;
}

/** How messages name an option: its flag (`--port`), or its environment variable when it has no flag. */
export function optionName(spec: ServeOptionSpec): string {
  return spec.flag?.split(' ')[0] ?? spec.env[0] ?? spec.key;
}
