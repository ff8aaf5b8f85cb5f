/**
 * The grants of agents without a user, as `cimd serve` configures them: the `client_credentials`
 * policy (`--allow-client-credentials`, `--client-credentials-resource`) and the enterprise
 * identity providers of the JWT bearer grant (`--trusted-assertion-issuer`). Problems are
 * collected, not thrown.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import { compileTrustedAssertionIssuers } from '../../server/auth/trusted-assertion-issuers.js';
import { compileClientEntries } from '../../server/clients/trust-policy.js';
import type { KeyedProblem } from './errors.js';
import type { ServeSettings } from './schema.js';

/** The `client_credentials` policy of `cimd serve`. */
export interface ClientCredentialsConfig {
  /** Exact `client_id`s or host patterns allowed the grant; empty: the grant is off. */
  allow: string[];
  /** The resources such tokens may be issued for; `undefined`: every served resource. */
  resources: string[] | undefined;
}

/**
 * The `client_credentials` policy. `served` are the resolved `--resource`s; when empty (the
 * demo adds its own later) the resources are checked when the server starts instead.
 */
export function resolveClientCredentials(
  settings: ServeSettings,
  served: readonly string[],
  problems: KeyedProblem[],
): ClientCredentialsConfig {
  const allow = [...new Set(settings.allowClientCredentials ?? [])];
  try {
    compileClientEntries(allow, '--allow-client-credentials');
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error;
    problems.push({ key: 'allowClientCredentials', message: error.message });
  }
  if (settings.clientCredentialsResources === undefined) return { allow, resources: undefined };
  const resources = [...new Set(settings.clientCredentialsResources)];
  if (allow.length === 0) {
    problems.push({
      key: 'clientCredentialsResources',
      message:
        'limits the client_credentials grant, which is off: name the agents allowed it with --allow-client-credentials, or leave this option out',
    });
  }
  if (resources.length === 0) {
    problems.push({
      key: 'clientCredentialsResources',
      message: 'is empty: name at least one resource, or leave it out for every --resource',
    });
  }
  for (const resource of served.length === 0 ? [] : resources) {
    if (!served.includes(resource)) {
      problems.push({
        key: 'clientCredentialsResources',
        message: `${JSON.stringify(resource)} is not one of the resources tokens are issued for (--resource): ${served.join(', ')}`,
      });
    }
  }
  return { allow, resources };
}

/** The enterprise identity providers of the JWT bearer grant, from `<issuer>=<jwks-uri>` entries. */
export function resolveAssertionIssuers(
  settings: ServeSettings,
  problems: KeyedProblem[],
): { issuer: string; jwksUri: string }[] {
  const issuers: { issuer: string; jwksUri: string }[] = [];
  for (const entry of new Set(settings.trustedAssertionIssuers ?? [])) {
    const at = entry.indexOf('=');
    const issuer = at < 0 ? '' : entry.slice(0, at).trim();
    const jwksUri = at < 0 ? '' : entry.slice(at + 1).trim();
    if (issuer === '' || jwksUri === '') {
      problems.push({
        key: 'trustedAssertionIssuers',
        message: `--trusted-assertion-issuer takes <issuer>=<jwks-uri>, e.g. https://idp.example.com=https://idp.example.com/jwks; got ${JSON.stringify(entry)}`,
      });
      continue;
    }
    issuers.push({ issuer, jwksUri });
  }
  try {
    compileTrustedAssertionIssuers(issuers);
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error;
    problems.push({ key: 'trustedAssertionIssuers', message: error.message });
  }
  return issuers;
}
