/**
 * A client's scope ceiling: the `scope` of its metadata (its CIMD document, or what it registered
 * at `/register`) is the most it may ever be granted, by every grant. One rule, used by
 * `/authorize` and by every grant at the token endpoint:
 *
 * - **A client without `scope`** has no ceiling (`undefined`): it may ask for any scope the server
 *   offers, as before; `cimd validate` says so (rule `scope-absent`). The `client_credentials`
 *   grant alone treats it as an empty ceiling (an agent acting as itself gets only what its
 *   document names).
 * - **At `/authorize`** the requested scopes are narrowed to the ceiling ({@link narrowToCeiling}):
 *   scopes beyond it are dropped, never shown on the consent page and never granted (RFC 6749 §3.3
 *   lets the server grant less than asked, and the token response then names the granted
 *   `scope`). When scopes were requested and none is within the ceiling, the request is refused
 *   with `invalid_scope`. Narrowing rather than refusing keeps MCP clients working that ask for
 *   the resource's whole `scopes_supported`, or for the union of granted and challenged scopes on
 *   step-up (MCP-C-08, MCP-C-22).
 * - **At the token endpoint** (refresh, `client_credentials`, the JWT bearer grant) a `scope`
 *   parameter naming a scope beyond the ceiling is refused with `invalid_scope`
 *   ({@link checkWithinCeiling}), as a refresh beyond the grant already is (RFC 6749 §6); a
 *   request without `scope` gets its default narrowed to the ceiling.
 *
 * @module
 */
import { InvalidScopeError } from '../oauth-errors.js';
import type { ResolvedClient } from './types.js';

/** RFC 6749 §3.3 `scope-token`: printable ASCII without space, `"` or `\`. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Splits a space-separated scope string into its tokens (each once, in the order first seen). */
export function scopeTokens(scope: string): string[] {
  return [...new Set(scope.split(' ').filter((token) => token !== ''))];
}

/**
 * The client's scope ceiling: the tokens of its metadata's `scope`, or `undefined` when its
 * metadata has no `scope` (no ceiling). An empty `scope` string is an empty ceiling.
 */
export function scopeCeilingOf(client: Pick<ResolvedClient, 'metadata'>): readonly string[] | undefined {
  const { scope } = client.metadata;
  return typeof scope === 'string' ? scopeTokens(scope) : undefined;
}

/** What {@link narrowToCeiling} keeps and drops. */
export interface NarrowedScopes {
  /** The requested scopes within the ceiling, in the order requested. */
  granted: string[];
  /** The requested scopes beyond the ceiling, in the order requested. */
  dropped: string[];
}

/** Splits `requested` into what the ceiling allows and what it does not (all allowed without one). */
export function narrowToCeiling(
  requested: readonly string[],
  ceiling: readonly string[] | undefined,
): NarrowedScopes {
  if (ceiling === undefined) return { granted: [...requested], dropped: [] };
  const allowed = new Set(ceiling);
  return {
    granted: requested.filter((scope) => allowed.has(scope)),
    dropped: requested.filter((scope) => !allowed.has(scope)),
  };
}

/** The message of an `invalid_scope` for `scope`, beyond `ceiling`. */
export function beyondCeilingMessage(scope: string, ceiling: readonly string[]): string {
  const named = JSON.stringify(scope.slice(0, 100));
  return ceiling.length === 0
    ? `the scope ${named} is beyond this client's scope: its metadata declares none; add a "scope" member to the client's metadata`
    : `the scope ${named} is beyond this client's scope (${ceiling.join(' ')}); ask only for scopes its metadata lists`;
}

/**
 * Refuses (`invalid_scope`) a token request asking for a scope beyond the ceiling; does nothing
 * without a ceiling.
 *
 * @throws InvalidScopeError naming the first scope beyond the ceiling.
 */
export function checkWithinCeiling(
  requested: readonly string[],
  ceiling: readonly string[] | undefined,
): void {
  const { dropped } = narrowToCeiling(requested, ceiling);
  const first = dropped[0];
  if (first !== undefined && ceiling !== undefined) {
    throw new InvalidScopeError(beyondCeilingMessage(first, ceiling));
  }
}
