/**
 * The `client_credentials` grant (RFC 6749 §4.4; the MCP extension
 * `io.modelcontextprotocol/oauth-client-credentials`): an agent acting as itself, with no user.
 *
 * Granted only when every rule holds:
 *
 * - the client authenticated with `private_key_jwt` (a verified, single-use assertion): a public
 *   client (`none`) is `unauthorized_client`, and shared secrets never reach here (they are
 *   refused as `invalid_client` before the client is resolved);
 * - its metadata lists `client_credentials` in `grant_types`;
 * - the server's policy (`clientCredentials.allow`) names the client, and allows the resource;
 * - the `resource` is one the server serves (none: the default resource; unknown: `invalid_target`);
 * - the requested `scope` is within the client's scope ceiling (`clients/scope-ceiling.ts`; and
 *   `scopesSupported` when set): a client without `scope` gets no scope.
 *
 * The token's `sub` is the `client_id`; no refresh token is issued (ask again instead).
 *
 * @module
 */
import type { ServerContext } from '../authorization-server/context.js';
import { checkWithinCeiling, SCOPE_TOKEN, scopeCeilingOf, scopeTokens } from '../clients/scope-ceiling.js';
import type { OAuthParams } from '../http/params.js';
import { InvalidScopeError, InvalidTargetError, UnauthorizedClientError } from '../oauth-errors.js';
import { enforceClientPolicy } from '../policy/enforce.js';
import type { AuthenticatedClient } from './client-authentication.js';
import { type TokenResponseBody, tokenResponseBody } from './issue-tokens.js';
import { comparableResource, selectAudience } from './narrowing.js';

/** The grant type this module implements. */
export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';

/**
 * The scopes the client may get: its scope ceiling (its metadata's `scope`; none declared: no
 * scope at all, for this grant only), within `scopesSupported` when set.
 */
function ceilingFor(context: ServerContext, auth: AuthenticatedClient): string[] {
  const own = scopeCeilingOf(auth.client) ?? [];
  const supported = context.options.scopesSupported;
  return supported === undefined ? [...own] : own.filter((scope) => supported.includes(scope));
}

/**
 * The granted scope: `requested` when it is within the ceiling, else `invalid_scope`; without
 * `scope`, the whole ceiling.
 */
export function clientCredentialsScope(requested: string | undefined, ceiling: readonly string[]): string {
  if (requested === undefined) return ceiling.join(' ');
  const tokens = scopeTokens(requested);
  if (tokens.some((token) => !SCOPE_TOKEN.test(token))) {
    throw new InvalidScopeError('the scope parameter is not a space-separated list of scope tokens');
  }
  checkWithinCeiling(tokens, ceiling);
  return tokens.join(' ');
}

/**
 * Issues a token for `auth`'s client acting as itself. `params` are the token request's form
 * parameters (`resource` and `scope`, both optional).
 *
 * @throws UnauthorizedClientError for a public client, a client whose metadata does not list the
 *   grant, or one the policy does not allow (for that resource); InvalidTargetError for a
 *   malformed or unknown resource; InvalidScopeError for a scope beyond the client's.
 */
export async function grantClientCredentials(
  context: ServerContext,
  auth: AuthenticatedClient,
  params: OAuthParams,
): Promise<TokenResponseBody> {
  const { client } = auth;
  const policy = context.options.clientCredentials;
  if (client.authMethod !== 'private_key_jwt' || auth.assertion === undefined) {
    throw new UnauthorizedClientError(
      'the client_credentials grant is only for clients that authenticate with private_key_jwt; a public client (token_endpoint_auth_method "none") cannot use it',
    );
  }
  if (!(client.metadata.grant_types ?? []).includes(CLIENT_CREDENTIALS_GRANT)) {
    throw new UnauthorizedClientError(
      "the client's metadata does not list the client_credentials grant in grant_types",
    );
  }
  if (policy === undefined || policy.allows(client.clientId) === undefined) {
    throw new UnauthorizedClientError(
      'this server does not allow the client_credentials grant for this client; ask its operator to allow it (cimd serve --allow-client-credentials)',
    );
  }
  const requested = params.get('resource');
  const served = context.options.resources;
  if (requested !== undefined) {
    const wanted = comparableResource(requested);
    if (wanted !== undefined && !served.some((resource) => comparableResource(resource) === wanted)) {
      throw new InvalidTargetError(
        'the resource parameter names a resource this server does not issue tokens for; name one of its MCP servers',
      );
    }
  }
  const audience =
    requested === undefined
      ? selectAudience(undefined, [], served)
      : selectAudience(requested, served, served);
  const allowedResources = policy.resources;
  if (allowedResources !== undefined) {
    const allowed = new Set(allowedResources.map(comparableResource));
    if (!audience.every((resource) => allowed.has(comparableResource(resource)))) {
      throw new UnauthorizedClientError(
        'this server does not allow the client_credentials grant for this resource; name a resource the operator allows',
      );
    }
  }
  const scope = clientCredentialsScope(params.get('scope'), ceilingFor(context, auth));
  await enforceClientPolicy(context, client, audience, scope, CLIENT_CREDENTIALS_GRANT);
  return tokenResponseBody(context, {
    grantId: crypto.randomUUID(),
    clientId: client.clientId,
    userId: client.clientId,
    audience,
    scope,
    ...(auth.dpop === undefined ? {} : { dpopJkt: auth.dpop.jkt }),
  });
}
