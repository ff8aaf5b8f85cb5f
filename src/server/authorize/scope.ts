/**
 * The `scope` parameter (RFC 6749 §3.3): space-separated scope tokens, each once. When the server
 * configures `scopesSupported`, every requested scope must be in it. The client's `scope` is a
 * ceiling: scopes beyond it are dropped, and a request with nothing within it is refused (see
 * `clients/scope-ceiling.ts` for the rule and why).
 *
 * @module
 */
import { narrowToCeiling, SCOPE_TOKEN, scopeCeilingOf } from '../clients/scope-ceiling.js';
import type { ResolvedClient } from '../clients/types.js';
import type { OAuthParams } from '../http/params.js';
import { InvalidScopeError } from '../oauth-errors.js';
import { refuse } from './refusal.js';

/** The longest `scope` parameter accepted, in characters. */
export const MAX_SCOPE_LENGTH = 2048;

/**
 * The requested scopes, duplicates collapsed, in the order first seen (empty when absent).
 * Refuses with `invalid_scope` a malformed token, an over-long parameter, or (when `supported`
 * is given) a scope not in it.
 */
export function parseScopes(params: OAuthParams, supported: readonly string[] | undefined): string[] {
  const raw = params.get('scope');
  if (raw === undefined) return [];
  if (raw.length > MAX_SCOPE_LENGTH) {
    refuse('scope_too_long', new InvalidScopeError(`scope is longer than ${MAX_SCOPE_LENGTH} characters`));
  }
  const scopes = [...new Set(raw.split(' ').filter((token) => token !== ''))];
  if (scopes.some((scope) => !SCOPE_TOKEN.test(scope))) {
    refuse(
      'scope_malformed',
      new InvalidScopeError(
        'scope must be space-separated tokens of printable ASCII, without quotes or backslashes',
      ),
    );
  }
  if (supported !== undefined) {
    const unknown = scopes.filter((scope) => !supported.includes(scope));
    if (unknown.length > 0) {
      refuse(
        'scope_unsupported',
        new InvalidScopeError(
          `unsupported scope ${unknown.slice(0, 5).join(' ')}; this server supports: ${supported.join(' ') || '(none)'}`,
        ),
      );
    }
  }
  return scopes;
}

/**
 * The requested scopes within the client's scope ceiling (its metadata's `scope`), in the order
 * requested; all of them when the client has no `scope`. Refuses with `invalid_scope` a request
 * that named scopes of which none is within the ceiling.
 */
export function withinClientCeiling(
  requested: readonly string[],
  client: Pick<ResolvedClient, 'metadata'>,
): string[] {
  const ceiling = scopeCeilingOf(client);
  const { granted, dropped } = narrowToCeiling(requested, ceiling);
  if (requested.length > 0 && granted.length === 0) {
    refuse(
      'scope_beyond_client',
      new InvalidScopeError(
        `none of the requested scopes (${dropped.slice(0, 5).join(' ')}) is within this client's scope (${ceiling?.join(' ') || 'none'}); ask only for scopes its metadata lists`,
      ),
    );
  }
  return granted;
}
