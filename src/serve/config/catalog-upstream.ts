/**
 * The options of `cimd serve` for signing users in through an upstream identity provider (the
 * OAuth proxy) and for deploying it: behind a TLS-terminating reverse proxy, with the key that
 * encrypts upstream tokens at rest. Part of the one catalog (`catalog.ts`).
 *
 * @module
 */
import type { ServeOptionSpec, UpstreamConfigKey } from './option-spec.js';

export type { UpstreamConfigKey } from './option-spec.js';

/** The upstream identity providers `--upstream` names. */
export const UPSTREAM_KINDS = ['oidc', 'github', 'google', 'entra', 'oauth2'] as const;

/** An upstream identity provider kind. */
export type UpstreamKind = (typeof UPSTREAM_KINDS)[number];

/** How `cimd serve` authenticates to the provider's token endpoint. */
export const UPSTREAM_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
] as const;

/** A token endpoint authentication method at the provider. */
export type UpstreamAuthMethod = (typeof UPSTREAM_AUTH_METHODS)[number];

/** The options, in the order `--help` and docs/configuration.md list them (after `--tls-key`). */
export const UPSTREAM_OPTIONS: readonly ServeOptionSpec[] = [
  {
    key: 'trustProxy',
    flag: '--trust-proxy',
    env: ['CIMD_TRUST_PROXY'],
    kind: 'boolean',
    description:
      'behind a reverse proxy that terminates TLS: honour its Forwarded / X-Forwarded-Proto, -Host and -For headers (ignored otherwise)',
    defaultText: 'off',
  },
  {
    key: 'upstream',
    flag: '--upstream <provider>',
    env: ['CIMD_UPSTREAM'],
    kind: 'choice',
    description: `sign users in at an identity provider: ${UPSTREAM_KINDS.join(', ')} (none: the development login); register <issuer>/upstream/callback there`,
    defaultText: 'none (the development login, loopback only)',
  },
  {
    key: 'upstreamIssuer',
    flag: '--upstream-issuer <url>',
    env: ['CIMD_UPSTREAM_ISSUER'],
    kind: 'string',
    description:
      "the provider's issuer (oidc; entra: the tenant's https://login.microsoftonline.com/<tenant>/v2.0); github: a GitHub Enterprise base URL; oauth2: its identifier",
    defaultText: 'required for oidc and entra; github.com; oauth2: the authorization endpoint origin',
  },
  {
    key: 'upstreamClientId',
    flag: '--upstream-client-id <id>',
    env: ['CIMD_UPSTREAM_CLIENT_ID'],
    kind: 'string',
    description: "this server's client id at the provider",
    defaultText: 'required with --upstream',
  },
  {
    key: 'upstreamClientSecretFile',
    flag: '--upstream-client-secret-file <file>',
    env: ['CIMD_UPSTREAM_CLIENT_SECRET_FILE'],
    kind: 'string',
    description: 'a file holding the client secret at the provider (never logged)',
    defaultText:
      'required with client_secret_basic and client_secret_post, unless CIMD_UPSTREAM_CLIENT_SECRET',
  },
  {
    key: 'upstreamClientSecret',
    env: ['CIMD_UPSTREAM_CLIENT_SECRET'],
    secret: true,
    kind: 'string',
    description: 'the client secret itself, from the environment only (never logged)',
    defaultText: 'none',
  },
  {
    key: 'upstreamAuthMethod',
    flag: '--upstream-auth-method <method>',
    env: ['CIMD_UPSTREAM_AUTH_METHOD'],
    kind: 'choice',
    description: `how this server authenticates to the provider: ${UPSTREAM_AUTH_METHODS.join(', ')}`,
    defaultText: 'client_secret_basic; client_secret_post for github and oauth2',
  },
  {
    key: 'upstreamKey',
    flag: '--upstream-key <file>',
    env: ['CIMD_UPSTREAM_KEY'],
    kind: 'string',
    description:
      'with private_key_jwt: a cimd keys key set (its current key signs) or a PKCS#8 PEM private key',
    defaultText: 'none',
  },
  {
    key: 'upstreamScopes',
    flag: '--upstream-scopes <list>',
    env: ['CIMD_UPSTREAM_SCOPES'],
    kind: 'list',
    description: 'scopes to ask the provider for, space- or comma-separated',
    defaultText:
      "the provider's: openid email profile (entra: + offline_access; github: read:user user:email, + read:org with --upstream-allow-orgs; oauth2: none)",
  },
  {
    key: 'upstreamAuthorizationEndpoint',
    flag: '--upstream-authorization-endpoint <url>',
    env: ['CIMD_UPSTREAM_AUTHORIZATION_ENDPOINT'],
    kind: 'string',
    description: "oauth2: the provider's authorization endpoint",
    defaultText: 'required with oauth2',
  },
  {
    key: 'upstreamTokenEndpoint',
    flag: '--upstream-token-endpoint <url>',
    env: ['CIMD_UPSTREAM_TOKEN_ENDPOINT'],
    kind: 'string',
    description: "oauth2: the provider's token endpoint",
    defaultText: 'required with oauth2',
  },
  {
    key: 'upstreamUserinfoEndpoint',
    flag: '--upstream-userinfo-endpoint <url>',
    env: ['CIMD_UPSTREAM_USERINFO_ENDPOINT'],
    kind: 'string',
    description: 'oauth2: the endpoint that returns the signed-in user as JSON',
    defaultText: 'required with oauth2',
  },
  {
    key: 'upstreamSubjectField',
    flag: '--upstream-subject-field <name>',
    env: ['CIMD_UPSTREAM_SUBJECT_FIELD'],
    kind: 'string',
    description: "oauth2: the userinfo member holding the user's stable id",
    defaultText: 'sub',
  },
  {
    key: 'upstreamHostedDomain',
    flag: '--upstream-hosted-domain <domain>',
    env: ['CIMD_UPSTREAM_HOSTED_DOMAIN'],
    kind: 'string',
    description: 'google: only accounts of this Google Workspace domain (checked on the verified hd claim)',
    defaultText: 'any Google account',
  },
  {
    key: 'upstreamTimeout',
    flag: '--upstream-timeout <seconds>',
    env: ['CIMD_UPSTREAM_TIMEOUT'],
    kind: 'integer',
    description: 'the deadline of each request to the provider (at most 120)',
    defaultText: '10',
    unit: 'seconds',
  },
  {
    key: 'upstreamAllowUsers',
    flag: '--upstream-allow-users <list>',
    env: ['CIMD_UPSTREAM_ALLOW_USERS'],
    kind: 'list',
    description: 'only these users may sign in: upstream subjects, user names or e-mail addresses',
    defaultText: 'everyone the provider signs in (unless another allow list is set)',
  },
  {
    key: 'upstreamAllowEmailDomains',
    flag: '--upstream-allow-email-domains <list>',
    env: ['CIMD_UPSTREAM_ALLOW_EMAIL_DOMAINS'],
    kind: 'list',
    description: 'users with a verified e-mail address in one of these domains may sign in',
    defaultText: 'none',
  },
  {
    key: 'upstreamAllowOrgs',
    flag: '--upstream-allow-orgs <list>',
    env: ['CIMD_UPSTREAM_ALLOW_ORGS'],
    kind: 'list',
    description:
      'github: members of one of these organisations are admitted (asks for read:org); a user matching any allow-list is admitted',
    defaultText: 'none',
  },
  {
    key: 'upstreamDemo',
    flag: '--upstream-demo',
    env: ['CIMD_UPSTREAM_DEMO'],
    kind: 'boolean',
    description:
      'the demo (implies --demo) signs in through a local OpenID provider (oidc-provider, a development dependency)',
    defaultText: 'off',
  },
  {
    key: 'userClaims',
    flag: '--user-claims <list>',
    env: ['CIMD_USER_CLAIMS'],
    kind: 'list',
    description: "the user's name and/or email, from the sign-in, in access tokens",
    defaultText: 'none (the opaque sub only)',
  },
  {
    key: 'sessionTtl',
    flag: '--session-ttl <seconds>',
    env: ['CIMD_SESSION_TTL'],
    kind: 'integer',
    description: 'with an upstream: how long a browser session here lasts (at most 2592000)',
    defaultText: '43200 (12 hours)',
    unit: 'seconds',
  },
  {
    key: 'encryptionKeyFile',
    flag: '--encryption-key-file <file>',
    env: ['CIMD_ENCRYPTION_KEY_FILE'],
    kind: 'string',
    description:
      'a file holding the key that encrypts upstream tokens at rest (32 bytes: base64url or 64 hex digits)',
    defaultText:
      'with an upstream: <database>.encryption.key beside the SQLite file, generated (mode 0600) when missing; ephemeral with --store memory',
  },
  {
    key: 'encryptionKey',
    env: ['CIMD_ENCRYPTION_KEY'],
    secret: true,
    kind: 'string',
    description: 'the encryption key itself, from the environment only (never logged)',
    defaultText: 'none',
  },
];

/** The upstream secrets and their file twins (see `SECRET_PAIRS` in `catalog.ts`). */
export const UPSTREAM_SECRET_PAIRS: readonly { secret: UpstreamConfigKey; file: UpstreamConfigKey }[] = [
  { secret: 'upstreamClientSecret', file: 'upstreamClientSecretFile' },
  { secret: 'encryptionKey', file: 'encryptionKeyFile' },
];
