/**
 * What a token request may narrow: the `resource` (RFC 8707) and, on refresh, the `scope`
 * (RFC 6749 §6). A request may only ask for a subset of what the grant already holds: another
 * resource is `invalid_target` (RES-03), another scope `invalid_scope`. A refresh is also held
 * to the client's scope ceiling as its metadata says it now (`clients/scope-ceiling.ts`).
 *
 * One `resource` parameter per token request (parameters are never repeated here); a request
 * without one gets a token for every resource the grant is bound to.
 *
 * @module
 */
import { checkWithinCeiling, narrowToCeiling, SCOPE_TOKEN, scopeTokens } from '../clients/scope-ceiling.js';
import { InvalidScopeError, InvalidTargetError } from '../oauth-errors.js';

export { scopeTokens };

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
 * The scope of a refreshed token: `requested` when it is a subset of `granted`, else `granted`;
 * either way within `ceiling` (the client's scope ceiling now; `undefined`: none), so a client
 * whose metadata narrowed its `scope` since the grant gets only what it still lists.
 *
 * @throws InvalidScopeError when `requested` is malformed, asks for a scope not granted or beyond
 *   the ceiling, or when nothing granted is within the ceiling any more.
 */
export function selectScope(
  requested: string | undefined,
  granted: string,
  ceiling?: readonly string[],
): string {
  const held = scopeTokens(granted);
  if (requested === undefined) {
    const { granted: kept } = narrowToCeiling(held, ceiling);
    if (held.length > 0 && kept.length === 0) {
      throw new InvalidScopeError(
        `none of the granted scopes (${held.slice(0, 5).join(' ')}) is within this client's scope (${ceiling?.join(' ') || 'none'}) any more; authorize again`,
      );
    }
    return kept.join(' ');
  }
  const tokens = scopeTokens(requested);
  if (tokens.some((token) => !SCOPE_TOKEN.test(token))) {
    throw new InvalidScopeError('the scope parameter is not a space-separated list of scope tokens');
  }
  const allowed = new Set(held);
  const extra = tokens.find((token) => !allowed.has(token));
  if (extra !== undefined) {
    throw new InvalidScopeError(
      `the scope ${JSON.stringify(extra.slice(0, 100))} was not granted; a refresh may only keep or narrow the granted scope`,
    );
  }
  checkWithinCeiling(tokens, ceiling);
  return tokens.join(' ');
}
