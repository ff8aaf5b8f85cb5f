/**
 * From settings to the configuration `cimd serve` runs with: the issuer derived from the
 * address when not given, the checks that span several options (the issuer's scheme, an https
 * issuer served through TLS or a trusted proxy, the development login's loopback rule, TLS files
 * in pairs, at least one resource), the store and the signing-key file, the upstream provider and
 * the encryption key, and the trust policy checked as the server will use it.
 *
 * @module
 */
import { resolve as resolvePath } from 'node:path';
import { InvalidOptionError } from '../../errors.js';
import { parseProxyUrl } from '../../fetch/proxy.js';
import { checkResource } from '../../server/authorization-server/options.js';
import { createTrustPolicy } from '../../server/clients/trust-policy.js';
import { parseHttpsUrl } from '../../server/resource/https-url.js';
import type { LogLevel } from '../logging.js';
import { resolveAssertionIssuers, resolveClientCredentials } from './agent-grants.js';
import { type ClientPolicyConfig, resolveClientPolicy } from './client-policy.js';
import type { SigningKeysConfig, StoreConfig } from './database.js';
import { type DpopConfig, resolveDpop } from './dpop.js';
import { type EncryptionKeyConfig, resolveEncryptionKey, SHARED_STORE_NEEDS_KEY } from './encryption-key.js';
import type { KeyedProblem } from './errors.js';
import { checkDevLoginLoopback, checkHttpsServed, resolveIssuer } from './issuer.js';
import type { ServeSettings } from './schema.js';
import type { ReadSecrets, RegistrationTokens } from './secrets.js';
import { resolveStoreAccess } from './store-access.js';
import {
  resolveUpstream,
  resolveUpstreamAllow,
  type UpstreamAllowConfig,
  type UpstreamConfig,
} from './upstream.js';

/** A user claim access tokens may carry (`--user-claims`). */
export type UserClaimName = 'name' | 'email';

/** The trust policy options of `cimd serve`. */
export interface TrustConfig {
  mode: 'open' | 'allowlist';
  allow: string[];
  deny: string[];
  trusted: string[];
}

/** The configuration `cimd serve` runs with (validated; see the docs/configuration.md table for each option). */
export interface ServeConfig {
  /** The address to listen on. */
  host: string;
  /** The port to listen on; 0 picks a free one. */
  port: number;
  /**
   * The issuer identifier; `undefined` when it is derived from the address actually bound
   * (`http(s)://<host>:<port>`, needed with port 0).
   */
  issuer: string | undefined;
  /** The resources (MCP server URLs) tokens are issued for; may be empty only with `demo`. */
  resources: string[];
  /** Also run the demo MCP server, client and documents. */
  demo: boolean;
  store: StoreConfig;
  signingKeys: SigningKeysConfig;
  /** Dynamic Client Registration on. */
  registration: boolean;
  /** The initial access tokens `/register` requires; `undefined`: registration is open. */
  registrationTokens: RegistrationTokens | undefined;
  /** Rate limits of `/authorize`, `/token` and `/register`, per minute; `false`: off. */
  rateLimit: { perIpPerMinute: number; perClientPerMinute: number } | false;
  /** The HTTP CONNECT proxy for client document and key fetches; `undefined`: direct. */
  fetchProxy: string | undefined;
  trust: TrustConfig;
  /** Per-resource client rules, CIMD on or off, server-wide redirect URI patterns. */
  clientPolicy: ClientPolicyConfig;
  /**
   * Clients (exact `client_id`s or host patterns) allowed the `client_credentials` grant; empty:
   * absent, the grant is off.
   */
  allowClientCredentials?: string[];
  /**
   * The resources `client_credentials` tokens may be issued for (with `allowClientCredentials`);
   * absent: every resource.
   */
  clientCredentialsResources?: string[];
  /**
   * Enterprise identity providers whose ID-JAGs the JWT bearer grant accepts, with their JWKS
   * URLs; absent: the grant is off.
   */
  trustedAssertionIssuers?: { issuer: string; jwksUri: string }[];
  /** DPoP at the token endpoint: required or not, server nonces. */
  dpop: DpopConfig;
  /** Access token lifetime, in seconds. */
  accessTokenTtlSeconds: number;
  /** Refresh token family lifetime, in seconds. */
  refreshTokenTtlSeconds: number;
  /** Scopes advertised and accepted; `undefined`: none advertised, any accepted. */
  scopes: string[] | undefined;
  allowPrivateNetwork: boolean;
  dangerouslyAllowHttpClientIds: boolean;
  /** Paths of the PEM certificate and key, when serving https directly. */
  tls: { certPath: string; keyPath: string } | undefined;
  /** Honour a reverse proxy's `Forwarded` / `X-Forwarded-*` headers. */
  trustProxy: boolean;
  /** The upstream identity provider; `undefined`: the development login (or the demo's provider). */
  upstream: UpstreamConfig | undefined;
  /** The demo signs in through its own local OpenID provider (implies `demo`). */
  upstreamDemo: boolean;
  /** Who may sign in through the upstream provider. */
  upstreamAllow: UpstreamAllowConfig;
  /** How long a browser session lasts with an upstream provider, in seconds. */
  sessionTtlSeconds: number;
  /** What access tokens say about the user besides the opaque `sub`. */
  userClaims: UserClaimName[];
  /** The key that encrypts upstream tokens at rest. */
  encryptionKey: EncryptionKeyConfig;
  /** The metrics listener (`/metrics`, `/health`, `/ready`); `undefined`: none. */
  metrics: { host: string; port: number } | undefined;
  /** How long a graceful shutdown waits for requests in flight, in seconds. */
  shutdownTimeoutSeconds: number;
  /** Where audit events go. */
  audit: AuditConfig;
  logLevel: LogLevel;
}

/** Where `cimd serve` writes audit events (`--audit`). */
export type AuditConfig = { kind: 'off' } | { kind: 'stdout' } | { kind: 'file'; path: string };

function resolveAudit(value: string | undefined, cwd: string, problems: KeyedProblem[]): AuditConfig {
  if (value === undefined || value.toLowerCase() === 'off') return { kind: 'off' };
  if (value.toLowerCase() === 'stdout') return { kind: 'stdout' };
  if (value.startsWith('file:') && value.length > 'file:'.length) {
    return { kind: 'file', path: resolvePath(cwd, value.slice('file:'.length)) };
  }
  problems.push({
    key: 'audit',
    message: `expected stdout, file:<path> or off; got ${JSON.stringify(value)}`,
  });
  return { kind: 'off' };
}

const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

function resolveUserClaims(settings: ServeSettings, problems: KeyedProblem[]): UserClaimName[] {
  const claims: UserClaimName[] = [];
  for (const claim of settings.userClaims ?? []) {
    const lower = claim.toLowerCase();
    if (lower === 'name' || lower === 'email') {
      if (!claims.includes(lower)) claims.push(lower);
    } else {
      problems.push({
        key: 'userClaims',
        message: `expected name and/or email; got ${JSON.stringify(claim)}`,
      });
    }
  }
  return claims;
}

function resolveResources(settings: ServeSettings, problems: KeyedProblem[]): string[] {
  const resources = [...new Set(settings.resources ?? [])];
  if (resources.length === 0 && !settings.demo && !settings.upstreamDemo) {
    problems.push({
      key: 'resources',
      message:
        'at least one resource is required: the URL of each MCP server tokens are issued for (--resource https://mcp.example.com/mcp, repeatable), or --demo',
    });
  }
  for (const resource of resources) {
    try {
      checkResource(resource);
      parseHttpsUrl(resource, 'a resource');
    } catch (error) {
      problems.push({ key: 'resources', message: (error as Error).message });
    }
  }
  return resources;
}

function resolveTrust(settings: ServeSettings, problems: KeyedProblem[]): TrustConfig {
  const trust: TrustConfig = {
    mode: settings.trustMode,
    allow: settings.allow ?? [],
    deny: settings.deny ?? [],
    trusted: settings.trusted ?? [],
  };
  try {
    createTrustPolicy(trust);
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error;
    const key = (['allow', 'deny', 'trusted'] as const).find((name) => error.message.startsWith(name));
    problems.push({ key: key ?? 'trustMode', message: error.message });
  }
  if (trust.mode === 'allowlist' && trust.allow.length === 0 && trust.trusted.length === 0) {
    problems.push({
      key: 'trustMode',
      message: 'allowlist mode with no --allow or --trusted entry would refuse every client document',
    });
  }
  return trust;
}

function resolveScopes(settings: ServeSettings, problems: KeyedProblem[]): string[] | undefined {
  if (settings.scopes === undefined) return undefined;
  const bad = settings.scopes.find((scope) => !SCOPE_TOKEN.test(scope));
  if (bad !== undefined)
    problems.push({ key: 'scopes', message: `${JSON.stringify(bad)} is not a valid scope token` });
  return [...new Set(settings.scopes)];
}

function resolveTls(settings: ServeSettings, cwd: string, problems: KeyedProblem[]): ServeConfig['tls'] {
  const { tlsCert, tlsKey } = settings;
  if (tlsCert === undefined && tlsKey === undefined) return undefined;
  if (tlsCert === undefined || tlsKey === undefined) {
    problems.push({
      key: tlsCert === undefined ? 'tlsKey' : 'tlsCert',
      message: '--tls-cert and --tls-key go together: give both to serve https, or neither',
    });
    return undefined;
  }
  return { certPath: resolvePath(cwd, tlsCert), keyPath: resolvePath(cwd, tlsKey) };
}

function resolveRateLimit(settings: ServeSettings, problems: KeyedProblem[]): ServeConfig['rateLimit'] {
  if (settings.rateLimit === false) {
    if (settings.rateLimitPerClient !== undefined) {
      problems.push({
        key: 'rateLimitPerClient',
        message: 'rate limits are off (--no-rate-limit): drop --rate-limit-per-client, or turn them on',
      });
    }
    return false;
  }
  return {
    perIpPerMinute: settings.rateLimit,
    perClientPerMinute: settings.rateLimitPerClient ?? settings.rateLimit * 10,
  };
}

function resolveFetchProxy(settings: ServeSettings, problems: KeyedProblem[]): string | undefined {
  if (settings.fetchProxy === undefined) return undefined;
  try {
    return parseProxyUrl(settings.fetchProxy).href;
  } catch (error) {
    problems.push({ key: 'fetchProxy', message: (error as Error).message });
    return undefined;
  }
}

function resolveRegistrationTokens(
  settings: ServeSettings,
  secrets: ReadSecrets,
  problems: KeyedProblem[],
): RegistrationTokens | undefined {
  if (secrets.registrationTokens !== undefined && !settings.registration) {
    problems.push({
      key: 'registrationTokenFile',
      message: 'registration is off (--no-registration): an initial access token file has nothing to protect',
    });
  }
  return secrets.registrationTokens;
}

/**
 * Checks `settings` as a whole and derives the configuration. Problems are collected, not
 * thrown, so every one can be reported at once.
 */
export function resolveServeConfig(
  settings: ServeSettings,
  cwd: string,
  secrets: ReadSecrets,
  problems: KeyedProblem[] = [],
): { config: ServeConfig; problems: KeyedProblem[] } {
  const host = settings.host ?? '127.0.0.1';
  const tls = resolveTls(settings, cwd, problems);
  const { issuer, checked } = resolveIssuer(settings, host, tls !== undefined, problems);
  const upstream = resolveUpstream(settings, secrets, problems);
  const upstreamSignIn = settings.upstream !== 'none' || settings.upstreamDemo;
  if (checked !== undefined) {
    checkHttpsServed(checked, settings, tls !== undefined, problems);
    if (!upstreamSignIn) checkDevLoginLoopback(checked, settings, host, problems);
  }
  const { store, signingKeys } = resolveStoreAccess(settings, cwd, problems);
  const resources = resolveResources(settings, problems);
  const config: ServeConfig = {
    host,
    port: settings.port,
    issuer,
    resources,
    demo: settings.demo || settings.upstreamDemo,
    store,
    signingKeys,
    registration: settings.registration,
    registrationTokens: resolveRegistrationTokens(settings, secrets, problems),
    rateLimit: resolveRateLimit(settings, problems),
    fetchProxy: resolveFetchProxy(settings, problems),
    trust: resolveTrust(settings, problems),
    clientPolicy: resolveClientPolicy(settings, resources, problems),
    dpop: resolveDpop(settings, secrets, problems),
    accessTokenTtlSeconds: settings.accessTokenTtl,
    refreshTokenTtlSeconds: settings.refreshTokenTtl,
    scopes: resolveScopes(settings, problems),
    allowPrivateNetwork: settings.allowPrivateNetwork,
    dangerouslyAllowHttpClientIds: settings.dangerouslyAllowHttpClientIds,
    tls,
    trustProxy: settings.trustProxy,
    upstream,
    upstreamDemo: settings.upstreamDemo,
    upstreamAllow: resolveUpstreamAllow(settings),
    sessionTtlSeconds: settings.sessionTtl,
    userClaims: resolveUserClaims(settings, problems),
    encryptionKey: resolveEncryptionKey(secrets.encryptionKey, store, upstreamSignIn) ?? { kind: 'none' },
    metrics:
      settings.metricsPort === undefined
        ? undefined
        : { host: settings.metricsHost ?? '127.0.0.1', port: settings.metricsPort },
    shutdownTimeoutSeconds: settings.shutdownTimeout,
    audit: resolveAudit(settings.audit, cwd, problems),
    logLevel: settings.logLevel,
  };
  if (resolveEncryptionKey(secrets.encryptionKey, store, upstreamSignIn) === undefined) {
    problems.push({ key: 'encryptionKeyFile', message: SHARED_STORE_NEEDS_KEY });
  }
  const clientCredentials = resolveClientCredentials(settings, resources, problems);
  if (clientCredentials.allow.length > 0) config.allowClientCredentials = clientCredentials.allow;
  if (clientCredentials.resources !== undefined)
    config.clientCredentialsResources = clientCredentials.resources;
  const trustedAssertionIssuers = resolveAssertionIssuers(settings, problems);
  if (trustedAssertionIssuers.length > 0) config.trustedAssertionIssuers = trustedAssertionIssuers;
  return { config, problems };
}
