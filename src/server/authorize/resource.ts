/**
 * The `resource` parameter (RFC 8707): one absolute URI without a fragment, naming one of the
 * resources this server issues tokens for. Scheme and host are compared case-insensitively (MCP
 * §8.1, MCP-AS-12); everything else exactly. Absent, it means the first configured resource.
 *
 * @module
 */
import type { OAuthParams } from '../http/params.js';
import { InvalidTargetError } from '../oauth-errors.js';
import { refuse } from './refusal.js';

/** Scheme, authority, and the rest of an absolute URI. */
const ABSOLUTE_URI = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s;

/**
 * `uri` with its scheme and host lower-cased, or undefined when it is not an absolute
 * hierarchical URI without userinfo or fragment.
 */
export function canonicalResource(uri: string): string | undefined {
  const match = ABSOLUTE_URI.exec(uri);
  if (match === null || uri.includes('#') || !URL.canParse(uri)) return undefined;
  const [, scheme = '', authority = '', rest = ''] = match;
  if (authority === '' || authority.includes('@')) return undefined;
  return `${scheme.toLowerCase()}://${authority.toLowerCase()}${rest}`;
}

/**
 * The resources the request is for: the configured resource the `resource` parameter names
 * (written as configured), or the first configured one when it is absent. Refuses with
 * `invalid_target` a relative URI, a fragment or an unknown resource (RES-01, RES-02).
 */
export function selectResources(params: OAuthParams, configured: readonly string[]): string[] {
  const requested = params.get('resource');
  if (requested === undefined) {
    const [first] = configured;
    return first === undefined ? [] : [first];
  }
  const canonical = canonicalResource(requested);
  if (canonical === undefined) {
    refuse(
      'resource_malformed',
      new InvalidTargetError('resource must be an absolute URI without a fragment (RFC 8707 section 2)'),
    );
  }
  const match = configured.find((resource) => canonicalResource(resource) === canonical);
  if (match === undefined) {
    refuse(
      'resource_unknown',
      new InvalidTargetError(
        `this server does not issue tokens for that resource; it serves ${configured.join(', ')}`,
      ),
    );
  }
  return [match];
}
