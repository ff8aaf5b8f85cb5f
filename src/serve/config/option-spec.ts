/**
 * The shape of a `cimd serve` option (its config key, flag, environment variables, kind and
 * documentation), shared by the option catalogues.
 *
 * @module
 */

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
  /**
   * A second flag that turns the option off (`--no-rate-limit` beside `--rate-limit <n>`): the
   * value is then `false`.
   */
  readonly negation?: string;
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
  | 'cimd'
  | 'resourcePolicy'
  | 'allowedRedirectUris'
  | 'allowClientCredentials'
  | 'clientCredentialsResources'
  | 'trustedAssertionIssuers'
  | 'dpopRequired'
  | 'dpopNonce'
  | 'dpopNonceWindow'
  | 'dpopNonceSecretFile'
  | 'dpopNonceSecret'
  | 'accessTokenTtl'
  | 'refreshTokenTtl'
  | 'scopes'
  | 'signingKeys'
  | 'allowPrivateNetwork'
  | 'dangerouslyAllowHttpClientIds'
  | 'tlsCert'
  | 'tlsKey'
  | 'rateLimit'
  | 'rateLimitPerClient'
  | 'fetchProxy'
  | 'registrationTokenFile'
  | UpstreamConfigKey
  | OperationsConfigKey
  | 'logLevel';

/** The config keys of the operations options: metrics, shutdown, audit (see `catalog-operations.ts`). */
export type OperationsConfigKey = 'metricsPort' | 'metricsHost' | 'shutdownTimeout' | 'audit';

/** The config keys of the upstream identity provider options (see `catalog-upstream.ts`). */
export type UpstreamConfigKey =
  | 'trustProxy'
  | 'upstream'
  | 'upstreamIssuer'
  | 'upstreamClientId'
  | 'upstreamClientSecretFile'
  | 'upstreamClientSecret'
  | 'upstreamAuthMethod'
  | 'upstreamKey'
  | 'upstreamScopes'
  | 'upstreamAuthorizationEndpoint'
  | 'upstreamTokenEndpoint'
  | 'upstreamUserinfoEndpoint'
  | 'upstreamSubjectField'
  | 'upstreamHostedDomain'
  | 'upstreamTimeout'
  | 'upstreamAllowUsers'
  | 'upstreamAllowEmailDomains'
  | 'upstreamAllowOrgs'
  | 'upstreamDemo'
  | 'userClaims'
  | 'sessionTtl'
  | 'encryptionKeyFile'
  | 'encryptionKey';
