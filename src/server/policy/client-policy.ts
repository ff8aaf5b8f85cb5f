/**
 * The per-resource client policy of the authorization server: for each resource (an MCP server
 * URL), which clients may get tokens for it, with which scopes and through which grants; whether
 * CIMD is accepted at all; and the server-wide redirect URI patterns. A resource without a rule
 * keeps the server-wide behaviour (every client the trust policy allows, any scope the server
 * accepts, every grant it serves).
 *
 * It is checked at `/authorize` (a refusal is redirected to the client: `invalid_target` for a
 * client the resource does not accept, RFC 8707 §2; `invalid_scope`; `unauthorized_client` for a
 * grant) and again whenever a token is issued (every grant, refresh included), so a policy
 * tightened after consent applies to the next token.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import {
  compileClientEntries,
  isTrustPolicy,
  type TrustEntry,
  type TrustPolicy,
  type TrustPolicyOptions,
} from '../clients/trust-policy.js';
import type { ResolvedClient } from '../clients/types.js';
import { comparableResource } from '../grants/narrowing.js';
import { compileRedirectUriPatterns, type RedirectUriPatterns } from './redirect-patterns.js';

/** The grants a rule may name (`jwt-bearer` is short for the RFC 7523 grant type URN). */
export const POLICY_GRANTS = Object.freeze([
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
] as const);

/** A grant type a rule may name. */
export type PolicyGrant = (typeof POLICY_GRANTS)[number];

/**
 * A client entry of a rule: an exact `client_id` URL or a host pattern (see `TrustEntry`; a
 * registered client's id matches as written), `trusted` (every client the trust policy trusts),
 * or `*` (every client the trust policy allows).
 */
export type ResourceClientEntry = TrustEntry | 'trusted' | '*';

/** The rule of one resource. */
export interface ResourceRule {
  /** The resource: one of the server's `resources` (compared as RFC 8707 resources are). */
  resource: string;
  /** Clients that may get tokens for it. Default: every client the trust policy allows. An empty list allows none. */
  clients?: readonly ResourceClientEntry[];
  /** The most scope tokens for it may carry; a request beyond it is `invalid_scope`. Default: no limit. */
  scopes?: readonly string[];
  /** The grants tokens for it may come from (`jwt-bearer` accepted for the URN). Default: every grant the server serves. */
  grants?: readonly string[];
}

/** What the policy's {@link ClientPolicyOptions.decide} hook is told. */
export interface ClientPolicyContext {
  /** The client asking. */
  client: ResolvedClient;
  /** The resource the token is for (as configured). */
  resource: string;
  /** The scopes asked for (at `/authorize`) or to be granted (at `/token`). */
  scopes: readonly string[];
  /** The grant: `authorization_code` at `/authorize` and for the code, or the token request's grant. */
  grantType: string;
  /** The built-in decision of the rules. */
  decision: ClientPolicyDecision;
}

/** The decision for one request. */
export interface ClientPolicyDecision {
  /** Whether the client may get the token. */
  allowed: boolean;
  /** Why (for logs and the error description); no secrets. */
  reason: string;
  /** When refused: which error to answer. Default `access_denied`. */
  error?: 'invalid_target' | 'invalid_scope' | 'unauthorized_client' | 'access_denied';
}

/** Options of the client policy (`clientPolicy` of `createAuthorizationServer`). */
export interface ClientPolicyOptions {
  /**
   * Accept CIMD clients (URL `client_id`s). Default `true`. `false`: the metadata does not
   * advertise `client_id_metadata_document_supported`, and a URL `client_id` is refused before
   * any fetch.
   */
  cimd?: boolean;
  /**
   * Server-wide redirect URI patterns (`*` wildcards; see `redirect-patterns.ts`): every redirect
   * URI used at `/authorize` and registered at `/register` must match one. Default: none (no limit).
   */
  allowedRedirectUris?: readonly string[];
  /** One rule per resource. Default: none (every resource as today). */
  resources?: readonly ResourceRule[];
  /**
   * A custom decision per request, after the rules: return `undefined` to keep the built-in
   * decision, or a decision to replace it. It may be async; a hook that throws fails the request.
   * Default: none.
   */
  decide?: (
    context: ClientPolicyContext,
  ) => ClientPolicyDecision | undefined | Promise<ClientPolicyDecision | undefined>;
}

/** A compiled rule. */
interface CompiledRule {
  readonly rule: ResourceRule;
  readonly anyClient: boolean;
  readonly trusted: boolean;
  readonly matchClient: (clientId: string) => string | undefined;
  readonly scopes: ReadonlySet<string> | undefined;
  readonly grants: ReadonlySet<string> | undefined;
}

/** A compiled client policy; see {@link compileClientPolicy}. */
export interface ClientPolicy {
  /** Whether CIMD clients are accepted at all. */
  readonly cimd: boolean;
  /** The server-wide redirect URI patterns. */
  readonly redirectUris: RedirectUriPatterns;
  /** The rules, as configured (resources written as the server serves them). */
  readonly rules: readonly ResourceRule[];
  /**
   * Decides whether `client` may get a token for `resource` with `scopes` through `grantType`:
   * the rules, then the hook.
   */
  check(
    client: ResolvedClient,
    resource: string,
    scopes: readonly string[],
    grantType: string,
  ): Promise<ClientPolicyDecision>;
  /** Whether some CIMD client could get some token (what the metadata advertises). */
  acceptsSomeCimdClient(trustAllowsCimd: boolean): boolean;
}

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

function stringList(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item.trim() === '')) {
    throw new InvalidOptionError(`${name} must be an array of non-empty strings`);
  }
  return value as string[];
}

function compileRule(rule: ResourceRule, served: readonly string[], index: number): CompiledRule {
  const where = `clientPolicy.resources[${index}]`;
  if (typeof rule !== 'object' || rule === null || typeof rule.resource !== 'string') {
    throw new InvalidOptionError(`${where} must be { resource, clients?, scopes?, grants? }`);
  }
  const wanted = comparableResource(rule.resource);
  const resource = served.find((candidate) => comparableResource(candidate) === wanted);
  if (resource === undefined) {
    throw new InvalidOptionError(
      `${where}.resource ${JSON.stringify(rule.resource)} is not one of the server's resources (${served.join(', ')})`,
    );
  }
  const clients = rule.clients === undefined ? undefined : stringList(rule.clients, `${where}.clients`);
  const entries = (clients ?? []).filter((entry) => entry !== '*' && entry !== 'trusted');
  const matchClient = compileClientEntries(entries, `${where}.clients`);
  const scopes = rule.scopes === undefined ? undefined : stringList(rule.scopes, `${where}.scopes`);
  const badScope = scopes?.find((scope) => !SCOPE_TOKEN.test(scope));
  if (badScope !== undefined) {
    throw new InvalidOptionError(`${where}.scopes has an invalid scope token: ${JSON.stringify(badScope)}`);
  }
  const grants = rule.grants === undefined ? undefined : stringList(rule.grants, `${where}.grants`);
  const normalized = grants?.map((grant) => (grant === 'jwt-bearer' ? JWT_BEARER : grant));
  const badGrant = normalized?.find((grant) => !(POLICY_GRANTS as readonly string[]).includes(grant));
  if (badGrant !== undefined) {
    throw new InvalidOptionError(
      `${where}.grants names ${JSON.stringify(badGrant)}; the grants are ${POLICY_GRANTS.join(', ')} (jwt-bearer for short)`,
    );
  }
  const compiledRule: ResourceRule = {
    resource,
    ...(clients === undefined ? {} : { clients: Object.freeze([...clients]) }),
    ...(scopes === undefined ? {} : { scopes: Object.freeze([...new Set(scopes)]) }),
    ...(normalized === undefined ? {} : { grants: Object.freeze([...new Set(normalized)]) }),
  };
  return {
    rule: Object.freeze(compiledRule),
    anyClient: clients === undefined || clients.includes('*'),
    trusted: clients?.includes('trusted') ?? false,
    matchClient,
    scopes: scopes === undefined ? undefined : new Set(scopes),
    grants: normalized === undefined ? undefined : new Set(normalized),
  };
}

function ruleDecision(
  compiled: CompiledRule | undefined,
  client: ResolvedClient,
  resource: string,
  scopes: readonly string[],
  grantType: string,
): ClientPolicyDecision {
  if (compiled === undefined)
    return { allowed: true, reason: `no rule for ${resource}: every allowed client` };
  const byEntry = compiled.matchClient(client.clientId);
  const allowedBy = compiled.anyClient
    ? 'every allowed client'
    : byEntry !== undefined
      ? `the client entry ${byEntry}`
      : compiled.trusted && client.trust.trusted
        ? 'trusted'
        : undefined;
  if (allowedBy === undefined) {
    return {
      allowed: false,
      error: 'invalid_target',
      reason: `the client ${client.clientId} may not get tokens for ${resource} (its policy allows ${(compiled.rule.clients ?? []).join(', ') || 'no client'})`,
    };
  }
  if (compiled.grants !== undefined && !compiled.grants.has(grantType)) {
    return {
      allowed: false,
      error: 'unauthorized_client',
      reason: `the ${grantType} grant is not allowed for ${resource} (its policy allows ${[...compiled.grants].join(', ') || 'no grant'})`,
    };
  }
  const extra =
    compiled.scopes === undefined ? undefined : scopes.find((scope) => !compiled.scopes?.has(scope));
  if (extra !== undefined) {
    return {
      allowed: false,
      error: 'invalid_scope',
      reason: `the scope ${JSON.stringify(extra.slice(0, 100))} is beyond what ${resource} allows (${[...(compiled.scopes ?? [])].join(' ') || 'no scope'})`,
    };
  }
  return { allowed: true, reason: `${resource} allows ${allowedBy}` };
}

function checkDecision(value: unknown): ClientPolicyDecision | undefined {
  if (value === undefined) return undefined;
  const decision = value as ClientPolicyDecision;
  const errors = ['invalid_target', 'invalid_scope', 'unauthorized_client', 'access_denied', undefined];
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof decision.allowed === 'boolean' &&
    typeof decision.reason === 'string' &&
    errors.includes(decision.error)
  ) {
    return decision;
  }
  // Fail closed on a malformed answer.
  return {
    allowed: false,
    error: 'access_denied',
    reason: 'the client policy hook returned an invalid decision',
  };
}

/**
 * Validates and compiles `options` against the server's `served` resources.
 *
 * @throws InvalidOptionError naming the bad option: a rule for a resource the server does not
 *   serve, two rules for one resource, a malformed client entry, scope or grant, a bad pattern.
 */
export function compileClientPolicy(
  options: ClientPolicyOptions | undefined,
  served: readonly string[],
): ClientPolicy {
  const given = options ?? {};
  if (typeof given !== 'object' || given === null) {
    throw new InvalidOptionError(
      'clientPolicy must be an object { cimd?, allowedRedirectUris?, resources?, decide? }',
    );
  }
  if (given.cimd !== undefined && typeof given.cimd !== 'boolean') {
    throw new InvalidOptionError('clientPolicy.cimd must be true or false');
  }
  if (given.decide !== undefined && typeof given.decide !== 'function') {
    throw new InvalidOptionError('clientPolicy.decide must be a function (context) => decision | undefined');
  }
  if (given.resources !== undefined && !Array.isArray(given.resources)) {
    throw new InvalidOptionError(
      'clientPolicy.resources must be an array of { resource, clients?, scopes?, grants? }',
    );
  }
  const compiled = (given.resources ?? []).map((rule, index) => compileRule(rule, served, index));
  const byResource = new Map<string, CompiledRule>();
  for (const rule of compiled) {
    if (byResource.has(rule.rule.resource)) {
      throw new InvalidOptionError(
        `clientPolicy.resources has two rules for ${rule.rule.resource}: merge them into one`,
      );
    }
    byResource.set(rule.rule.resource, rule);
  }
  const cimd = given.cimd ?? true;
  const decide = given.decide;
  const ruleOf = (resource: string) => {
    const wanted = comparableResource(resource);
    return compiled.find((rule) => comparableResource(rule.rule.resource) === wanted);
  };
  return Object.freeze({
    cimd,
    redirectUris: compileRedirectUriPatterns(given.allowedRedirectUris),
    rules: Object.freeze(compiled.map((rule) => rule.rule)),
    async check(client: ResolvedClient, resource: string, scopes: readonly string[], grantType: string) {
      const decision = ruleDecision(ruleOf(resource), client, resource, scopes, grantType);
      if (decide === undefined) return decision;
      return checkDecision(await decide({ client, resource, scopes, grantType, decision })) ?? decision;
    },
    acceptsSomeCimdClient(trustAllowsCimd: boolean) {
      if (!cimd || !trustAllowsCimd) return false;
      if (decide !== undefined) return true;
      return served.some((resource) => {
        const rule = ruleOf(resource);
        if (rule === undefined || rule.anyClient || rule.trusted) return true;
        if (rule.grants !== undefined && rule.grants.size === 0) return false;
        // A URL entry or a host pattern can name a CIMD client; an id without a dot cannot.
        return (rule.rule.clients ?? []).some((entry) => /^https?:\/\//i.test(entry) || entry.includes('.'));
      });
    },
  });
}

/**
 * False when the trust policy's options refuse every CIMD client (allowlist mode with no allow
 * or trusted entry and no hook); true otherwise, and for a policy object (it may change).
 */
export function trustMayAllowCimd(trust: TrustPolicy | TrustPolicyOptions | undefined): boolean {
  if (trust === undefined || isTrustPolicy(trust)) return true;
  if (trust.mode !== 'allowlist' || trust.decide !== undefined) return true;
  return (trust.allow?.length ?? 0) + (trust.trusted?.length ?? 0) > 0;
}
