/**
 * Every option of `cimd serve` in one table: its config-file key, its flag, its environment
 * variables, its default and unit. The flags, the environment reader, the help text and the
 * docs/configuration.md table all follow it.
 *
 * @module
 */
import { OPERATIONS_OPTIONS } from './catalog-operations.js';
import { UPSTREAM_OPTIONS, UPSTREAM_SECRET_PAIRS } from './catalog-upstream.js';
import type { ConfigKey, ServeOptionSpec } from './option-spec.js';

export type { ConfigKey, OptionKind, ServeOptionSpec, UpstreamConfigKey } from './option-spec.js';

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
    description:
      'where codes, tokens, replay records and cached documents live: memory, or the database --database names (sqlite, postgres, redis)',
    defaultText: 'sqlite (or what --database names)',
  },
  {
    key: 'database',
    flag: '--database <path-or-url>',
    env: ['DATABASE_URL'],
    kind: 'string',
    description:
      'the store: a SQLite file (a path, sqlite:<path> or file:<path>), a PostgreSQL URL (postgres://…) or a Redis URL (redis://…, rediss://…); PostgreSQL and Redis are shared by many instances and need --encryption-key-file',
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
    key: 'registrationTokenFile',
    flag: '--registration-token-file <file>',
    env: ['CIMD_REGISTRATION_TOKEN_FILE'],
    kind: 'string',
    description:
      'require an initial access token at /register (Authorization: Bearer): a file of tokens, one a line, each 16+ characters',
    defaultText: 'none (registration open)',
  },
  {
    key: 'rateLimit',
    flag: '--rate-limit <requests-per-minute>',
    negation: '--no-rate-limit',
    env: ['CIMD_RATE_LIMIT'],
    kind: 'integer',
    description:
      'requests a minute one client IP may make to /authorize, /token and /register together (429 beyond); --no-rate-limit (or off) turns rate limits off',
    defaultText: '600',
    unit: 'requests per minute',
  },
  {
    key: 'rateLimitPerClient',
    flag: '--rate-limit-per-client <requests-per-minute>',
    env: ['CIMD_RATE_LIMIT_PER_CLIENT'],
    kind: 'integer',
    description:
      'requests a minute naming one client_id (every user of a client application shares it), on the same endpoints',
    defaultText: 'ten times --rate-limit (6000)',
    unit: 'requests per minute',
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
    key: 'cimd',
    flag: '--no-cimd',
    env: ['CIMD_ACCEPT_CIMD'],
    kind: 'boolean',
    description:
      'refuse client metadata documents (URL client_ids) and stop advertising client_id_metadata_document_supported: registered clients only',
    defaultText: 'on',
  },
  {
    key: 'resourcePolicy',
    flag: '--resource-policy <rule>',
    repeatable: true,
    env: ['CIMD_RESOURCE_POLICY'],
    kind: 'list',
    description:
      'who may get tokens for one resource: "<uri> clients=<entry>,… scopes=<scope>,… grants=<grant>,…" (each part optional; entries: client_id URLs, host patterns, trusted, *); repeatable, one rule per --resource',
    defaultText: 'none (every resource: every allowed client, any scope, every grant)',
  },
  {
    key: 'allowedRedirectUris',
    flag: '--allowed-redirect-uri <pattern>',
    repeatable: true,
    env: ['CIMD_ALLOWED_REDIRECT_URIS'],
    kind: 'list',
    description:
      'a redirect URI pattern (* for a run of characters, :* for any port) every client redirect URI must match at /authorize and /register; repeatable',
    defaultText: 'none (no server-wide limit)',
  },
  {
    key: 'allowClientCredentials',
    flag: '--allow-client-credentials <entry>',
    repeatable: true,
    env: ['CIMD_ALLOW_CLIENT_CREDENTIALS'],
    kind: 'list',
    description:
      'a client_id URL or host pattern whose private_key_jwt agents may use the client_credentials grant; repeatable',
    defaultText: 'none (grant off)',
  },
  {
    key: 'clientCredentialsResources',
    flag: '--client-credentials-resource <uri>',
    repeatable: true,
    env: ['CIMD_CLIENT_CREDENTIALS_RESOURCES'],
    kind: 'list',
    description:
      'a resource (one of --resource) client_credentials tokens may be issued for; repeatable; needs --allow-client-credentials',
    defaultText: 'every --resource',
  },
  {
    key: 'trustedAssertionIssuers',
    flag: '--trusted-assertion-issuer <issuer=jwks-uri>',
    repeatable: true,
    env: ['CIMD_TRUSTED_ASSERTION_ISSUERS'],
    kind: 'list',
    description:
      'an enterprise identity provider whose ID-JAGs (jwt-bearer grant) are accepted: its issuer, "=", its JWKS URL; repeatable',
    defaultText: 'none (grant off)',
  },
  {
    key: 'dpopRequired',
    flag: '--dpop-required',
    env: ['CIMD_DPOP_REQUIRED'],
    kind: 'boolean',
    description:
      'issue DPoP-bound tokens only (RFC 9449): refuse every token request without a DPoP proof (invalid_dpop_proof)',
    defaultText: 'off (a proof is accepted, not required)',
  },
  {
    key: 'dpopNonce',
    flag: '--dpop-nonce',
    env: ['CIMD_DPOP_NONCE'],
    kind: 'boolean',
    description:
      'require server-issued nonces in DPoP proofs at /token (RFC 9449 §8: use_dpop_nonce, then the DPoP-Nonce header)',
    defaultText: 'off',
  },
  {
    key: 'dpopNonceWindow',
    flag: '--dpop-nonce-window <seconds>',
    env: ['CIMD_DPOP_NONCE_WINDOW'],
    kind: 'integer',
    description:
      'with --dpop-nonce: how often a new nonce is issued (10 to 3600); a nonce is accepted for 1 to 2 windows',
    defaultText: '300',
    unit: 'seconds',
  },
  {
    key: 'dpopNonceSecretFile',
    flag: '--dpop-nonce-secret-file <file>',
    env: ['CIMD_DPOP_NONCE_SECRET_FILE'],
    kind: 'string',
    description:
      'with --dpop-nonce: a file holding the secret nonces are made with (at least 32 bytes); give every instance behind one load balancer the same',
    defaultText: 'a random secret per start',
  },
  {
    key: 'dpopNonceSecret',
    env: ['CIMD_DPOP_NONCE_SECRET'],
    secret: true,
    kind: 'string',
    description: 'the DPoP nonce secret itself, from the environment only (never logged)',
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
    key: 'fetchProxy',
    flag: '--fetch-proxy <url>',
    env: ['CIMD_FETCH_PROXY'],
    kind: 'string',
    description:
      'an HTTP CONNECT proxy (http://host:port) for client document, key set and logo fetches; names must still resolve here to public addresses, the tunnel goes to the checked address (HTTPS_PROXY is never read)',
    defaultText: 'none (direct)',
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

/** The options of `cimd serve`, in the order `--help` and docs/configuration.md list them. */
export const SERVE_OPTIONS: readonly ServeOptionSpec[] = Object.freeze([
  ...CORE_OPTIONS,
  ...UPSTREAM_OPTIONS,
  ...OPERATIONS_OPTIONS,
  {
    key: 'logLevel',
    flag: '--log-level <level>',
    env: ['CIMD_LOG_LEVEL', 'LOG_LEVEL'],
    kind: 'choice',
    description: 'fatal, error, warn, info, debug, trace or silent',
    defaultText: 'info',
  },
] satisfies ServeOptionSpec[]);

/**
 * A secret read from the environment and its file twin (a flag, an environment variable or a
 * config key): at most one of them is used, the one from the higher layer.
 */
export const SECRET_PAIRS: readonly { secret: ConfigKey; file: ConfigKey }[] = Object.freeze([
  ...UPSTREAM_SECRET_PAIRS,
  { secret: 'dpopNonceSecret', file: 'dpopNonceSecretFile' },
]);

/** The flag and environment variable of the config file itself (not a key of the file). */
export const CONFIG_FILE_OPTION = Object.freeze({
  flag: '--config <file>',
  env: 'CIMD_CONFIG',
  description: 'a JSON file of options (keys as in the docs/configuration.md table)',
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
