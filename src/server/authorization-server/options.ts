/**
 * Options of the authorization server, with their defaults and units, validated at once.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import type { Store } from '../../store/store.js';
import type { AuditSink } from '../audit/sinks.js';
import type { AssertionAudienceMode } from '../auth/assertion-claims.js';
import {
  compileTrustedAssertionIssuers,
  type TrustedAssertionIssuer,
  type TrustedAssertionIssuers,
} from '../auth/trusted-assertion-issuers.js';
import type { CacheBounds } from '../cache/http-freshness.js';
import {
  type ClientCredentialsOptions,
  type ClientCredentialsPolicy,
  compileClientCredentialsPolicy,
} from '../clients/client-credentials-policy.js';
import { DEFAULT_CACHE_PURGE_POLL_MS } from '../clients/purge-watcher.js';
import type { ClientRegistryOptions } from '../clients/registry.js';
import {
  type DpopServerOptions,
  type ResolvedDpopServerOptions,
  resolveDpopServerOptions,
} from '../dpop/server-options.js';
import type { ServerObserver } from '../events.js';
import { DEFAULT_REFRESH_FAMILY_CACHE_SIZE } from '../grants/refresh-family-cache.js';
import { isLoopbackHostname } from '../http/loopback.js';
import type { Logger } from '../logger.js';
import type { Authenticator } from '../login/authenticator.js';
import {
  type ClientPolicy,
  type ClientPolicyOptions,
  compileClientPolicy,
  trustMayAllowCimd,
} from '../policy/client-policy.js';
import type { RateLimitOptions } from '../rate-limit/options.js';
import { checkInitialAccessTokens } from '../registration/initial-access-token.js';
import type { SigningKeyManager } from '../tokens/signing-keys.js';

/** How consent is remembered and when the consent page may be skipped. */
export interface ConsentOptions {
  /** How long an approval is remembered, in ms. Default 30 days. `0` never remembers. */
  rememberForMs?: number;
  /**
   * When a remembered approval (same user, client, scopes, resources and document fingerprint)
   * skips the consent page: `trusted` (default) only for clients the trust policy trusts;
   * `non-loopback` also for clients redirecting to an https or private-use URI (never for a
   * loopback redirect: any local program can claim a popular client's `client_id`, MCP §11.6.2);
   * `never` always shows the page.
   */
  skipWhenRemembered?: 'trusted' | 'non-loopback' | 'never';
  /** Trusted clients skip consent even the first time. Default `false`. */
  skipForTrusted?: boolean;
}

/** Options of Dynamic Client Registration (see `AuthorizationServerOptions.registration`). */
export interface RegistrationOptions {
  /** Refuse a registration request without `application_type` (SEP-837). Default `true`. */
  requireApplicationType?: boolean;
  /**
   * Initial access tokens (RFC 7591 §3): when given, `/register` requires `Authorization: Bearer
   * <token>` with one of them and answers `401 invalid_token` otherwise. Each at least 16
   * characters of an RFC 6750 `b64token`. Default: none, and registration is open.
   */
  initialAccessTokens?: readonly string[];
}

/** Options of {@link createAuthorizationServer}. */
export interface AuthorizationServerOptions {
  /**
   * The issuer identifier (RFC 8414): exact, no trailing slash, no query or fragment; `https`,
   * or `http` only on a loopback host. Every endpoint URL is built from it.
   */
  issuer: string;
  /**
   * The resources (RFC 8707, the MCP servers' canonical URIs) tokens may be issued for. At least
   * one; the first is used when a request names none. An unknown one is `invalid_target`.
   */
  resources: readonly string[];
  /** Where codes, refresh tokens, replay records, consents, clients and cached documents live. */
  store: Store;
  /** Signs users in: the development login, or an upstream identity provider. */
  authenticator: Authenticator;
  /** The server's signing keys. Default: a new ES256 key manager kept in memory. */
  signingKeys?: SigningKeyManager;
  /** Client resolution: trust policy, caches, budgets, private-network opt-ins (the store and clock are shared). */
  clients?: Omit<ClientRegistryOptions, 'store' | 'now' | 'emit'>;
  /**
   * How often the server reads the store's cache purge log (`cimd admin cache purge`), in ms:
   * within this time after a purge it drops its in-process copies of the purged client document
   * and key sets. Read on a timer, never by a request. Default 5000; `0` never reads it (a
   * purge then reaches this server only when its copies go stale).
   */
  cachePurgePollMs?: number;
  /**
   * Dynamic Client Registration (RFC 7591) at `/register`. Default `true`; `false` for CIMD-only
   * servers. DCR is deprecated in favour of CIMD (MCP 2026-07-28); an object turns it on with
   * options: `requireApplicationType` (default `true`, SEP-837) refuses a request without
   * `application_type`; `false` records a missing one as `native`, for older DCR clients.
   */
  registration?: boolean | RegistrationOptions;
  /**
   * Rate limits on `/authorize`, `/token` and `/register` (per client IP and per `client_id`, in
   * one-minute windows): on by default with an in-memory counter, 600 requests a minute per IP
   * and 6000 per `client_id` (see {@link RateLimitOptions}); `false` turns them off. Over a limit,
   * `429` with `Retry-After`. Requests handed over in process (no connection) have no IP.
   */
  rateLimit?: RateLimitOptions | false;
  /** Scopes advertised and accepted. Default: none advertised, and any well-formed scope accepted. */
  scopesSupported?: readonly string[];
  /**
   * The client policy (see {@link ClientPolicyOptions}): per resource, which clients may get tokens
   * (exact `client_id`s, host patterns, `trusted`, `*`), with which scopes and through which
   * grants, plus a `decide` hook that sees the client, resource, scopes and grant; `cimd: false`
   * turns CIMD off; `allowedRedirectUris` narrows every client's redirect URIs. Default: none
   * (every resource open to every client the trust policy allows, CIMD on, no redirect limit).
   */
  clientPolicy?: ClientPolicyOptions;
  /**
   * The `client_credentials` grant (agents acting as themselves, no user): off (default) unless
   * this names the clients (exact `client_id`s or host patterns) and optionally the resources.
   * Only `private_key_jwt` clients whose metadata lists the grant get tokens.
   */
  clientCredentials?: ClientCredentialsOptions;
  /**
   * Enterprise identity providers whose identity assertions (ID-JAG, `typ` `oauth-id-jag+jwt`)
   * this server accepts in the JWT bearer grant (RFC 7523, `grant_type`
   * `urn:ietf:params:oauth:grant-type:jwt-bearer`), each with its keys (`jwks` or `jwksUri`).
   * Default: none, and the grant is off. Only `private_key_jwt` clients may use it.
   */
  trustedAssertionIssuers?: readonly TrustedAssertionIssuer[];
  /** Access token lifetime, in ms. Default 600 000 (10 min); at most the signing keys' `tokenLifetimeMs`. */
  accessTokenLifetimeMs?: number;
  /** Absolute lifetime of a refresh token family, in ms. Default 30 days. */
  refreshTokenLifetimeMs?: number;
  /**
   * How many refresh token families this instance remembers by their current token, so that a
   * refresh coming back to it is checked without first reading the family from the store (the
   * store's rotation still decides revocation, expiry and reuse atomically; see
   * `src/server/grants/refresh-family-cache.ts`). Default 10 000 (about 5 MiB at most); 0 turns
   * it off.
   */
  refreshFamilyCacheSize?: number;
  /** Authorization code lifetime, in ms. Default 60 000. */
  codeLifetimeMs?: number;
  /** How long a pending authorization (waiting for sign-in and consent) lives, in ms. Default 600 000. */
  interactionLifetimeMs?: number;
  consent?: ConsentOptions;
  /**
   * DPoP (RFC 9449) at `/token`: proofs are always accepted and bind the tokens; this can require
   * them, require server nonces, and set the algorithms and the `iat` window. Default: optional, no nonces.
   */
  dpop?: DpopServerOptions;
  /** `private_key_jwt` assertion rules. */
  clientAssertions?: {
    /** `issuer-or-token-endpoint` (default) or `issuer-only` (the strict draft reading, PKJ-05). */
    audience?: AssertionAudienceMode;
    /** Longest assertion lifetime, in ms. Default 300 000. */
    maxLifetimeMs?: number;
    /** Clock skew allowed, in ms. Default 30 000. */
    clockSkewMs?: number;
    /**
     * Freshness bounds of the key sets fetched from clients' `jwks_uri`, in ms. Default 60 000 ..
     * 3 600 000 (60 s .. 1 h): a key a client removed stops verifying within `maxTtlMs`.
     */
    jwksCacheBounds?: CacheBounds;
    /**
     * Minimum time between fetching a client's key set and fetching it again because an
     * assertion named an unknown `kid`, in ms. Default 30 000; `0` refetches on every unknown `kid`.
     */
    kidRefetchCooldownMs?: number;
  };
  /**
   * Claims about the user copied from the sign-in into access tokens: `name`, `email`. Default
   * none (the token names the user by its opaque `sub` alone). The authenticator must supply them.
   */
  userClaims?: readonly UserClaim[];
  /** Receives structured logs; the server never logs otherwise. Default: silent. */
  logger?: Logger;
  /**
   * Receive the server's events (requests by route, fetches, cache lookups, budget refusals,
   * tokens issued and refused, replays, consents, client document changes), e.g.
   * `prometheusObserver` from `mcp-cimd/server/metrics`. Default: none.
   */
  observers?: readonly ServerObserver[];
  /**
   * Where audit events go (docs/audit.md): `functionAuditSink(fn)`, `streamAuditSink()`
   * (stdout) or `await fileAuditSink(path)`. Default: none. The sink is the caller's to close.
   */
  audit?: AuditSink;
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** A user claim access tokens may carry (see `userClaims`). */
export type UserClaim = 'name' | 'email';

/** The options after defaults and validation. */
export interface ResolvedServerOptions {
  issuer: string;
  /** The issuer's path without a trailing slash ('' at the root): endpoints live under it. */
  basePath: string;
  resources: readonly string[];
  registration: boolean;
  /** Whether `/register` refuses a request without `application_type` (SEP-837). */
  requireApplicationType: boolean;
  /** The initial access tokens `/register` requires; `undefined`: registration is open. */
  initialAccessTokens: readonly string[] | undefined;
  /** `clients.allowPrivateNetwork`: documents, key sets and registered `jwks_uri`s may be on private hosts. */
  allowPrivateNetwork: boolean;
  scopesSupported: readonly string[] | undefined;
  /** The per-resource client policy, CIMD on or off, and the server-wide redirect URI patterns. */
  clientPolicy: ClientPolicy;
  /** Whether the metadata advertises CIMD: CIMD is on and the policy can accept some CIMD client. */
  cimdAdvertised: boolean;
  /** The `client_credentials` policy, or `undefined` when the grant is off. */
  clientCredentials: ClientCredentialsPolicy | undefined;
  /** The trusted ID-JAG issuers' key resolvers, or `undefined` when the JWT bearer grant is off. */
  trustedAssertionIssuers: TrustedAssertionIssuers | undefined;
  accessTokenLifetimeMs: number;
  refreshTokenLifetimeMs: number;
  refreshFamilyCacheSize: number;
  codeLifetimeMs: number;
  interactionLifetimeMs: number;
  consent: Required<ConsentOptions>;
  userClaims: readonly UserClaim[];
  /** DPoP at `/token` (RFC 9449). */
  dpop: ResolvedDpopServerOptions;
  /** `cachePurgePollMs`: ms between two reads of the cache purge log; `0`: never read. */
  cachePurgePollMs: number;
}

const DAY_MS = 86_400_000;

/** `value` (else `fallback`) when it is a whole number, 0 or more with `allowZero`, else 1 or more. */
function wholeNumber(
  value: number | undefined,
  fallback: number,
  name: string,
  allowZero: boolean,
  unit: string,
): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result < 0 || (!allowZero && result === 0)) {
    throw new InvalidOptionError(
      `${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer ${unit}`,
    );
  }
  return result;
}

function positiveMs(value: number | undefined, fallback: number, name: string, allowZero = false): number {
  return wholeNumber(value, fallback, name, allowZero, 'of milliseconds');
}

function entryCount(value: number | undefined, fallback: number, name: string): number {
  return wholeNumber(value, fallback, name, true, '(a number of entries)');
}

/** Checks the issuer identifier and returns its base path. */
export function checkIssuer(issuer: string): string {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new InvalidOptionError(`issuer must be an absolute URL; got ${JSON.stringify(issuer)}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHostname(url.hostname))) {
    throw new InvalidOptionError(`issuer must use https (plain http only on a loopback host); got ${issuer}`);
  }
  if (url.search !== '' || url.hash !== '' || issuer.includes('?') || issuer.includes('#')) {
    throw new InvalidOptionError(`issuer must have no query or fragment (RFC 8414 §2); got ${issuer}`);
  }
  if (url.username !== '' || url.password !== '')
    throw new InvalidOptionError('issuer must not carry user info');
  if (issuer.endsWith('/')) {
    throw new InvalidOptionError(
      `issuer must not end with a slash: clients compare it exactly; use ${issuer.replace(/\/+$/, '')}`,
    );
  }
  if (url.href !== issuer && `${url.href}`.replace(/\/$/, '') !== issuer) {
    throw new InvalidOptionError(
      `issuer must be in canonical form (lower-case scheme and host); use ${url.href.replace(/\/$/, '')}`,
    );
  }
  return url.pathname === '/' ? '' : url.pathname;
}

/** Checks a resource indicator: absolute, no fragment (RFC 8707 §2). */
export function checkResource(resource: string): string {
  let url: URL;
  try {
    url = new URL(resource);
  } catch {
    throw new InvalidOptionError(`resources must be absolute URIs; got ${JSON.stringify(resource)}`);
  }
  if (url.hash !== '' || resource.includes('#'))
    throw new InvalidOptionError(`a resource must not have a fragment; got ${resource}`);
  return resource;
}

/** Applies the defaults and validates every option (`InvalidOptionError` names the bad one). */
export function resolveServerOptions(options: AuthorizationServerOptions): ResolvedServerOptions {
  const basePath = checkIssuer(options.issuer);
  if (options.resources.length === 0)
    throw new InvalidOptionError('resources must name at least one resource (an MCP server URI)');
  const resources = options.resources.map(checkResource);
  const consent = options.consent ?? {};
  const skip = consent.skipWhenRemembered ?? 'trusted';
  if (!['trusted', 'non-loopback', 'never'].includes(skip)) {
    throw new InvalidOptionError("consent.skipWhenRemembered must be 'trusted', 'non-loopback' or 'never'");
  }
  for (const claim of options.userClaims ?? []) {
    if (claim !== 'name' && claim !== 'email')
      throw new InvalidOptionError(`userClaims supports name and email; got ${JSON.stringify(claim)}`);
  }
  for (const scope of options.scopesSupported ?? []) {
    if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))
      throw new InvalidOptionError(`scopesSupported has an invalid scope token: ${JSON.stringify(scope)}`);
  }
  const clientPolicy = compileClientPolicy(options.clientPolicy, resources);
  return {
    issuer: options.issuer,
    basePath,
    resources,
    registration: options.registration !== false,
    requireApplicationType:
      typeof options.registration !== 'object' || options.registration.requireApplicationType !== false,
    initialAccessTokens:
      typeof options.registration === 'object' && options.registration.initialAccessTokens !== undefined
        ? checkInitialAccessTokens(options.registration.initialAccessTokens)
        : undefined,
    allowPrivateNetwork: options.clients?.allowPrivateNetwork ?? false,
    scopesSupported: options.scopesSupported,
    clientPolicy,
    cimdAdvertised: clientPolicy.acceptsSomeCimdClient(trustMayAllowCimd(options.clients?.trustPolicy)),
    clientCredentials: compileClientCredentialsPolicy(options.clientCredentials, resources),
    trustedAssertionIssuers: compileTrustedAssertionIssuers(options.trustedAssertionIssuers),
    accessTokenLifetimeMs: positiveMs(options.accessTokenLifetimeMs, 600_000, 'accessTokenLifetimeMs'),
    refreshTokenLifetimeMs: positiveMs(options.refreshTokenLifetimeMs, 30 * DAY_MS, 'refreshTokenLifetimeMs'),
    refreshFamilyCacheSize: entryCount(
      options.refreshFamilyCacheSize,
      DEFAULT_REFRESH_FAMILY_CACHE_SIZE,
      'refreshFamilyCacheSize',
    ),
    codeLifetimeMs: positiveMs(options.codeLifetimeMs, 60_000, 'codeLifetimeMs'),
    interactionLifetimeMs: positiveMs(options.interactionLifetimeMs, 600_000, 'interactionLifetimeMs'),
    userClaims: [...new Set(options.userClaims ?? [])],
    dpop: resolveDpopServerOptions(options.dpop, options.now),
    cachePurgePollMs: positiveMs(
      options.cachePurgePollMs,
      DEFAULT_CACHE_PURGE_POLL_MS,
      'cachePurgePollMs',
      true,
    ),
    consent: {
      rememberForMs: positiveMs(consent.rememberForMs, 30 * DAY_MS, 'consent.rememberForMs', true),
      skipWhenRemembered: skip,
      skipForTrusted: consent.skipForTrusted ?? false,
    },
  };
}
