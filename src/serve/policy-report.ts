/**
 * `cimd serve --print-policy`: the effective client policy of a configuration, as data (for
 * `--json`) and as text an operator reads: whether CIMD is accepted and advertised, registration,
 * the trust policy, the server-wide redirect URI patterns, and for each resource which clients
 * may get tokens, with which scopes and through which grants.
 *
 * @module
 */
import { JWT_BEARER_GRANT } from '../server/grants/jwt-bearer.js';
import { compileClientPolicy, trustMayAllowCimd } from '../server/policy/client-policy.js';
import type { ServeConfig } from './config/resolve.js';

/** The policy of one resource, as it applies. */
export interface ResourcePolicyReport {
  resource: string;
  /** Client entries (client_id URLs, host patterns, `trusted`, `*`), or `any` (every client the trust policy allows). */
  clients: string[] | 'any';
  /** The scopes tokens may carry, or `any`. */
  scopes: string[] | 'any';
  /** The grants tokens may come from. */
  grants: string[];
}

/** The effective policy; see the module documentation. */
export interface PolicyReport {
  cimd: { accepted: boolean; advertised: boolean };
  registration: boolean;
  trust: ServeConfig['trust'];
  /** Server-wide redirect URI patterns; empty: no limit beyond each client's own list. */
  allowedRedirectUris: string[];
  resources: ResourcePolicyReport[];
  /** Who may use the client_credentials grant, when it is on. */
  clientCredentials?: { allow: string[]; resources: string[] | 'all' };
}

/** The effective policy of `config` (validated already). */
export function policyReport(config: ServeConfig): PolicyReport {
  const served = ['authorization_code', 'refresh_token'];
  if (config.allowClientCredentials !== undefined) served.push('client_credentials');
  if (config.trustedAssertionIssuers !== undefined) served.push(JWT_BEARER_GRANT);
  const resources = config.resources.length === 0 ? [] : config.resources;
  const policy = compileClientPolicy(
    config.clientPolicy,
    resources.length === 0 ? ['https://placeholder.invalid/'] : resources,
  );
  const advertised = resources.length > 0 && policy.acceptsSomeCimdClient(trustMayAllowCimd(config.trust));
  const report: PolicyReport = {
    cimd: {
      accepted: config.clientPolicy.cimd,
      advertised: resources.length === 0 ? config.clientPolicy.cimd : advertised,
    },
    registration: config.registration,
    trust: config.trust,
    allowedRedirectUris: [...policy.redirectUris.patterns],
    resources: resources.map((resource) => {
      const rule = policy.rules.find((candidate) => candidate.resource === resource);
      return {
        resource,
        clients: rule?.clients === undefined ? 'any' : [...rule.clients],
        scopes:
          rule?.scopes !== undefined
            ? [...rule.scopes]
            : config.scopes === undefined
              ? 'any'
              : [...config.scopes],
        grants: rule?.grants === undefined ? served : served.filter((grant) => rule.grants?.includes(grant)),
      };
    }),
  };
  if (config.allowClientCredentials !== undefined) {
    report.clientCredentials = {
      allow: config.allowClientCredentials,
      resources: config.clientCredentialsResources ?? 'all',
    };
  }
  return report;
}

function listOrNone(items: readonly string[]): string {
  return items.length === 0 ? 'none' : items.join(', ');
}

/** `report` as lines an operator reads. */
export function formatPolicyReport(report: PolicyReport): string {
  const cimd = !report.cimd.accepted
    ? 'off (--no-cimd): URL client_ids are refused; not advertised'
    : report.cimd.advertised
      ? 'on, advertised (client_id_metadata_document_supported: true)'
      : 'on, but no rule can accept a CIMD client: not advertised';
  const lines = [
    `CIMD: ${cimd}`,
    `Dynamic Client Registration: ${report.registration ? 'on' : 'off'}`,
    `Trust policy: ${report.trust.mode}; allow: ${listOrNone(report.trust.allow)}; deny: ${listOrNone(report.trust.deny)}; trusted: ${listOrNone(report.trust.trusted)}`,
    `Redirect URIs: ${report.allowedRedirectUris.length === 0 ? "each client's own list (no server-wide patterns)" : `only those matching ${report.allowedRedirectUris.join(', ')}`}`,
  ];
  if (report.clientCredentials !== undefined) {
    const where =
      report.clientCredentials.resources === 'all'
        ? 'every resource'
        : report.clientCredentials.resources.join(', ');
    lines.push(`client_credentials: ${report.clientCredentials.allow.join(', ')} (for ${where})`);
  }
  lines.push('Resources:');
  if (report.resources.length === 0) lines.push('  none configured (the demo adds its own)');
  for (const resource of report.resources) {
    lines.push(
      `  ${resource.resource}`,
      `    clients: ${resource.clients === 'any' ? 'every client the trust policy allows' : listOrNone(resource.clients)}`,
      `    scopes:  ${resource.scopes === 'any' ? 'any' : listOrNone(resource.scopes)}`,
      `    grants:  ${listOrNone(resource.grants)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
