/**
 * Rules for the URLs a document points to: CIMD-LINT-07 (https, host, no userinfo; jwks_uri
 * also no fragment), CIMD-LINT-08 (jwks_uri on a public host) and CIMD-LINT-14 (client_uri on
 * the client_id origin).
 *
 * @module
 */

import { describeHostProblem, findHostProblem } from '../net/host-policy.js';
import type { LintContext } from './lint-context.js';
import { findForbiddenCharacter, isValidPort, splitUri } from './uri-parts.js';

const URL_MEMBERS = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri', 'jwks_uri'] as const;

/** Why a metadata URL is not acceptable, or undefined when it is. */
function urlProblem(value: string, isJwksUri: boolean): string | undefined {
  const forbidden = findForbiddenCharacter(value);
  if (forbidden !== undefined) return `contains ${forbidden}`;
  const parts = splitUri(value);
  if (parts.scheme === undefined || parts.scheme.toLowerCase() !== 'https' || parts.authority === undefined) {
    return `is ${JSON.stringify(value)}, not an https URL`;
  }
  if ((parts.host ?? '') === '') return 'has no host';
  if (parts.port !== undefined && !isValidPort(parts.port))
    return `has the port ${JSON.stringify(parts.port)}, not a number from 1 to 65535`;
  if (parts.userinfo !== undefined) return 'has userinfo (a "user@" part)';
  if (isJwksUri && parts.fragment !== undefined) return 'has a fragment ("#")';
  return URL.canParse(value) ? undefined : 'is not a valid URL';
}

/** Runs the URL rules. */
export function lintMetadataUrls(ctx: LintContext): void {
  const { doc } = ctx;
  const acceptable = new Set<string>();
  for (const member of URL_MEMBERS) {
    const value = doc[member];
    if (typeof value !== 'string') continue;
    const problem = urlProblem(value, member === 'jwks_uri');
    if (problem !== undefined) {
      ctx.add(
        'CIMD-LINT-07',
        `${member} ${problem}; servers fetch or show it, so it must be a plain https URL (https://host/path) without userinfo${member === 'jwks_uri' ? ' or fragment' : ''}. Fix it or remove the member.`,
        `$.${member}`,
      );
      continue;
    }
    acceptable.add(member);
    if (member === 'jwks_uri' && !ctx.allowPrivateNetwork) {
      const parts = splitUri(value);
      const hostProblem = findHostProblem(parts.host ?? '', new URL(value).hostname);
      if (hostProblem !== undefined) {
        ctx.add(
          'CIMD-LINT-08',
          `jwks_uri is not on the public internet: ${describeHostProblem(hostProblem)}, and servers refuse to fetch such URLs. Serve the JWK Set under a public DNS name, or pass allowPrivateNetwork for local development.`,
          '$.jwks_uri',
        );
      }
    }
  }

  const clientId = doc.client_id;
  const clientUri = doc.client_uri;
  if (typeof clientId !== 'string' || typeof clientUri !== 'string' || !acceptable.has('client_uri')) return;
  let clientIdOrigin: string;
  try {
    clientIdOrigin = new URL(clientId).origin;
  } catch {
    return;
  }
  const clientUriOrigin = new URL(clientUri).origin;
  if (clientUriOrigin !== clientIdOrigin) {
    ctx.add(
      'CIMD-LINT-14',
      `client_uri is on ${clientUriOrigin} but client_id on ${clientIdOrigin}; users cannot tell the site belongs to the client, and some servers (atproto) require the same origin. Host client_uri under ${clientIdOrigin} if you can.`,
      '$.client_uri',
    );
  }
}
