/**
 * The upstream identity provider of `cimd serve` (`--upstream` and the options that go with it),
 * checked as a whole: what each provider needs (a client id, a secret or a key, an issuer, the
 * endpoints of a plain OAuth 2 provider), the options that belong to one provider only, and the
 * rule that a provider URL is https, or plain http on a loopback host (development and tests,
 * warned about loudly at start).
 *
 * @module
 */
import type { CryptoKey } from 'jose';
import { isLoopbackHostname } from '../../server/http/loopback.js';
import type { ConfigKey } from './catalog.js';
import type { UpstreamAuthMethod, UpstreamConfigKey, UpstreamKind } from './catalog-upstream.js';
import type { KeyedProblem } from './errors.js';
import type { ServeSettings } from './schema.js';
import type { Secret } from './secret.js';
import type { ReadSecrets } from './secrets.js';

/** How `cimd serve` authenticates to the provider's token endpoint. */
export type UpstreamAuthConfig =
  | { method: 'client_secret_basic' | 'client_secret_post'; secret: Secret }
  | {
      method: 'private_key_jwt';
      /** The private key (not extractable), its `kid` and algorithm, and the file it came from. */
      key: CryptoKey;
      kid: string;
      alg: string;
      path: string;
    };

/** The endpoints of a plain OAuth 2 provider (`--upstream oauth2`). */
export interface OAuth2Endpoints {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userinfoEndpoint: string;
  /** The userinfo member holding the user's stable id. Default `sub`. */
  subjectField: string;
}

/** The upstream identity provider (see the docs/configuration.md table for each option). */
export interface UpstreamConfig {
  provider: UpstreamKind;
  /**
   * oidc and entra: the provider's issuer; github: a GitHub Enterprise base URL (`undefined`:
   * github.com); google: `undefined`; oauth2: its identifier (default: the authorization
   * endpoint's origin).
   */
  issuer: string | undefined;
  clientId: string;
  auth: UpstreamAuthConfig;
  /** Scopes asked for; `undefined`: the provider's defaults. */
  scopes: string[] | undefined;
  /** oauth2 only. */
  oauth2: OAuth2Endpoints | undefined;
  /** google only: the Workspace domain users must belong to. */
  hostedDomain: string | undefined;
  /** The deadline of each request to the provider, in seconds. */
  timeoutSeconds: number;
  /** A provider URL is plain http on a loopback host: development only (warned at start). */
  insecure: boolean;
}

/** Who may sign in through the provider (every list empty: everyone it signs in). */
export interface UpstreamAllowConfig {
  users: string[];
  emailDomains: string[];
  organizations: string[];
}

/** Options that mean nothing without `--upstream`. */
const PROVIDER_OPTIONS: readonly UpstreamConfigKey[] = [
  'upstreamIssuer',
  'upstreamClientId',
  'upstreamClientSecretFile',
  'upstreamClientSecret',
  'upstreamAuthMethod',
  'upstreamKey',
  'upstreamScopes',
  'upstreamAuthorizationEndpoint',
  'upstreamTokenEndpoint',
  'upstreamUserinfoEndpoint',
  'upstreamSubjectField',
  'upstreamHostedDomain',
];

/** Options of one provider only. */
const ONLY_FOR: readonly [UpstreamConfigKey, UpstreamKind][] = [
  ['upstreamAuthorizationEndpoint', 'oauth2'],
  ['upstreamTokenEndpoint', 'oauth2'],
  ['upstreamUserinfoEndpoint', 'oauth2'],
  ['upstreamSubjectField', 'oauth2'],
  ['upstreamHostedDomain', 'google'],
  ['upstreamAllowOrgs', 'github'],
];

const ALLOW_OPTIONS: readonly UpstreamConfigKey[] = [
  'upstreamAllowUsers',
  'upstreamAllowEmailDomains',
  'upstreamAllowOrgs',
];

/**
 * Checks a provider URL: https, or http on a loopback host. Returns whether it is plain http
 * (`undefined` when it is refused: a problem is recorded).
 */
function checkUrl(value: string, key: ConfigKey, problems: KeyedProblem[]): boolean | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push({ key, message: `expected an absolute URL; got ${JSON.stringify(value)}` });
    return undefined;
  }
  if (url.protocol === 'https:') return false;
  if (url.protocol === 'http:' && isLoopbackHostname(url.hostname)) return true;
  problems.push({
    key,
    message: `${value} must use https (plain http only on a loopback host, for development and tests)`,
  });
  return undefined;
}

/** The issuer for `kind`, or a problem. */
function issuerOf(kind: UpstreamKind, settings: ServeSettings, problems: KeyedProblem[]): string | undefined {
  const issuer = settings.upstreamIssuer;
  if (kind === 'google' && issuer !== undefined) {
    problems.push({
      key: 'upstreamIssuer',
      message: "is not used with google (Google's issuer is https://accounts.google.com)",
    });
    return undefined;
  }
  if ((kind === 'oidc' || kind === 'entra') && issuer === undefined) {
    problems.push({
      key: 'upstreamIssuer',
      message:
        kind === 'oidc'
          ? "is required with --upstream oidc: the provider's issuer identifier, as its discovery document writes it"
          : "is required with --upstream entra: the tenant's issuer, https://login.microsoftonline.com/<tenant-id>/v2.0",
    });
    return undefined;
  }
  if (kind === 'entra' && issuer !== undefined && /\/(common|organizations|consumers)\//.test(issuer)) {
    problems.push({
      key: 'upstreamIssuer',
      message: 'use one tenant\'s issuer, not the multi-tenant "common", "organizations" or "consumers" one',
    });
  }
  if (kind === 'oauth2' && issuer === undefined && settings.upstreamAuthorizationEndpoint !== undefined) {
    try {
      return new URL(settings.upstreamAuthorizationEndpoint).origin;
    } catch {
      return undefined; // reported with the endpoint
    }
  }
  return issuer;
}

function oauth2Of(settings: ServeSettings, problems: KeyedProblem[]): OAuth2Endpoints | undefined {
  const keys = [
    'upstreamAuthorizationEndpoint',
    'upstreamTokenEndpoint',
    'upstreamUserinfoEndpoint',
  ] as const;
  for (const key of keys) {
    if (settings[key] === undefined) problems.push({ key, message: 'is required with --upstream oauth2' });
  }
  const [authorizationEndpoint, tokenEndpoint, userinfoEndpoint] = keys.map((key) => settings[key]);
  if (authorizationEndpoint === undefined || tokenEndpoint === undefined || userinfoEndpoint === undefined)
    return undefined;
  return {
    authorizationEndpoint,
    tokenEndpoint,
    userinfoEndpoint,
    subjectField: settings.upstreamSubjectField ?? 'sub',
  };
}

function authOf(
  kind: UpstreamKind,
  settings: ServeSettings,
  secrets: ReadSecrets,
  problems: KeyedProblem[],
): UpstreamAuthConfig | undefined {
  const method: UpstreamAuthMethod =
    settings.upstreamAuthMethod ??
    (kind === 'github' || kind === 'oauth2' ? 'client_secret_post' : 'client_secret_basic');
  const secretGiven =
    settings.upstreamClientSecret !== undefined || settings.upstreamClientSecretFile !== undefined;
  if (method === 'private_key_jwt') {
    if (kind === 'github') {
      problems.push({
        key: 'upstreamAuthMethod',
        message: 'GitHub OAuth apps authenticate with a client secret: use client_secret_post',
      });
    }
    if (secretGiven) {
      problems.push({
        key:
          settings.upstreamClientSecret !== undefined ? 'upstreamClientSecret' : 'upstreamClientSecretFile',
        message: 'a client secret is not used with --upstream-auth-method private_key_jwt: leave it out',
      });
    }
    if (settings.upstreamKey === undefined) {
      problems.push({
        key: 'upstreamKey',
        message:
          'is required with --upstream-auth-method private_key_jwt: a cimd keys key set or a PKCS#8 PEM private key',
      });
    }
    const key = secrets.upstreamKey;
    return key === undefined
      ? undefined
      : { method, key: key.key, kid: key.kid, alg: key.alg, path: key.path };
  }
  if (settings.upstreamKey !== undefined) {
    problems.push({
      key: 'upstreamKey',
      message: `is used with --upstream-auth-method private_key_jwt only (the method is ${method})`,
    });
  }
  if (!secretGiven) {
    problems.push({
      key: 'upstreamClientSecretFile',
      message: `the client secret is required with ${method}: --upstream-client-secret-file <file>, or the CIMD_UPSTREAM_CLIENT_SECRET environment variable`,
    });
  }
  const secret = secrets.upstreamClientSecret;
  return secret === undefined ? undefined : { method, secret };
}

/** The allow lists (checked against the provider: organisations are GitHub's). */
export function resolveUpstreamAllow(settings: ServeSettings): UpstreamAllowConfig {
  return {
    users: settings.upstreamAllowUsers ?? [],
    emailDomains: (settings.upstreamAllowEmailDomains ?? []).map((domain) => domain.replace(/^@/, '')),
    organizations: settings.upstreamAllowOrgs ?? [],
  };
}

/**
 * The upstream provider of `settings`, or `undefined` (the development login, or the demo's own
 * provider with `--upstream-demo`). Problems are collected, not thrown.
 */
export function resolveUpstream(
  settings: ServeSettings,
  secrets: ReadSecrets,
  problems: KeyedProblem[],
): UpstreamConfig | undefined {
  const kind = settings.upstream === 'none' ? undefined : settings.upstream;
  const given = (key: UpstreamConfigKey) => settings[key] !== undefined;
  if (kind === undefined) {
    const needs = settings.upstreamDemo ? PROVIDER_OPTIONS : [...PROVIDER_OPTIONS, ...ALLOW_OPTIONS];
    for (const key of needs.filter(given)) {
      problems.push({
        key,
        message: settings.upstreamDemo
          ? '--upstream-demo starts and configures its own provider: leave this out'
          : 'needs --upstream (oidc, github, google, entra or oauth2)',
      });
    }
    return undefined;
  }
  if (settings.upstreamDemo) {
    problems.push({
      key: 'upstreamDemo',
      message: `starts its own provider: give either --upstream-demo or --upstream ${kind}, not both`,
    });
  }
  for (const [key, only] of ONLY_FOR) {
    if (only !== kind && given(key)) {
      problems.push({ key, message: `is for --upstream ${only} only (the provider is ${kind})` });
    }
  }
  if (settings.upstreamClientId === undefined) {
    problems.push({ key: 'upstreamClientId', message: `is required with --upstream ${kind}` });
  }
  const issuer = issuerOf(kind, settings, problems);
  const oauth2 = kind === 'oauth2' ? oauth2Of(settings, problems) : undefined;
  const urls: [string | undefined, ConfigKey][] = [
    [settings.upstreamIssuer, 'upstreamIssuer'],
    [oauth2?.authorizationEndpoint, 'upstreamAuthorizationEndpoint'],
    [oauth2?.tokenEndpoint, 'upstreamTokenEndpoint'],
    [oauth2?.userinfoEndpoint, 'upstreamUserinfoEndpoint'],
  ];
  let insecure = false;
  for (const [url, key] of urls) {
    if (url !== undefined && checkUrl(url, key, problems) === true) insecure = true;
  }
  const auth = authOf(kind, settings, secrets, problems);
  if (auth === undefined || settings.upstreamClientId === undefined) return undefined;
  return {
    provider: kind,
    issuer,
    clientId: settings.upstreamClientId,
    auth,
    scopes: settings.upstreamScopes,
    oauth2,
    hostedDomain: settings.upstreamHostedDomain,
    timeoutSeconds: settings.upstreamTimeout,
    insecure,
  };
}
