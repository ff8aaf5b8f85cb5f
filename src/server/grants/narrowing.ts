/**
 * What a token request may narrow: the `resource` (RFC 8707) and, on refresh, the `scope`
 * (RFC 6749 §6). A request may only ask for a subset of what the grant already holds: another
 * resource is `invalid_target` (RES-03), another scope `invalid_scope`.
 *
 * One `resource` parameter per token request (parameters are never repeated here); a request
 * without one gets a token for every resource the grant is bound to.
 *
 * @module
 */
import { InvalidScopeError, InvalidTargetError } from '../oauth-errors.js';

/** RFC 6749 §3.3 `scope-token`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Splits a space-separated scope string into its tokens (each once, in order). */
export function scopeTokens(scope: string): string[] {
  return [...new Set(scope.split(' ').filter((token) => token !== ''))];
}

/**
 * A resource identifier in the form it is compared in: scheme and host in lower case (MCP §8.1,
 * MCP-AS-12), the rest as written. `undefined` when it is not an absolute URI or has a fragment
 * (RES-01).
 */
export function comparableResource(value: string): string | undefined {
  if (value.includes('#') || !URL.canParse(value)) return undefined;
  const match = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/s.exec(value);
  if (match === null) return value;
  const [, scheme = '', authority = '', rest = ''] = match;
  return `${scheme.toLowerCase()}${authority.toLowerCase()}${rest}`;
}

/**
 * The audience of the token: the `requested` resource when it is one of `bound` (the grant's,
 * as stored), else all of `bound`. Only resources the server still serves (`served`) count. A
 * grant bound to no resource at all is bound to the default one (the first served), as an
 * authorization request without `resource` is.
 *
 * @throws InvalidTargetError when `requested` is malformed (RES-01), not bound to the grant
 *   (RES-03), or when nothing bound is served any more.
 */
export function selectAudience(
  requested: string | undefined,
  bound: readonly string[],
  served: readonly string[],
): string[] {
  const servedForms = new Set(served.map(comparableResource));
  const grant = bound.length > 0 ? bound : served.slice(0, 1);
  const usable = grant.filter((resource) => servedForms.has(comparableResource(resource)));
  if (requested === undefined) {
    if (usable.length === 0) {
      throw new InvalidTargetError(
        'the resources this grant was issued for are no longer served here; authorize again',
      );
    }
    return usable;
  }
  const wanted = comparableResource(requested);
  if (wanted === undefined) {
    throw new InvalidTargetError('the resource parameter must be an absolute URI without a fragment');
  }
  const match = usable.find((resource) => comparableResource(resource) === wanted);
  if (match === undefined) {
    throw new InvalidTargetError(
      'the resource parameter names a resource this grant was not issued for; ask only for a resource named in the authorization request',
    );
  }
  return [match];
}

/**
 * The scope of a refreshed token: `requested` when it is a subset of `granted`, else `granted`.
 *
 * @throws InvalidScopeError when `requested` is malformed or asks for a scope not granted.
 */
export function selectScope(requested: string | undefined, granted: string): string {
  if (requested === undefined) return scopeTokens(granted).join(' ');
  const tokens = scopeTokens(requested);
  if (tokens.some((token) => !SCOPE_TOKEN.test(token))) {
    throw new InvalidScopeError('the scope parameter is not a space-separated list of scope tokens');
  }
  const allowed = new Set(scopeTokens(granted));
  const extra = tokens.find((token) => !allowed.has(token));
  if (extra !== undefined) {
    throw new InvalidScopeError(
      `the scope ${JSON.stringify(extra.slice(0, 100))} was not granted; a refresh may only keep or narrow the granted scope`,
    );
  }
  return tokens.join(' ');
}
