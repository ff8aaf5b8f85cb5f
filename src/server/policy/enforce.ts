/**
 * Where the client policy is applied: at `/authorize` (before sign-in and consent, so the consent
 * page never offers what would be refused) and whenever a token is issued (every grant, refresh
 * included: a policy tightened after consent applies to the next token). A refusal is the OAuth
 * error the decision names: `invalid_target` (RFC 8707 §2) for a client the resource does not
 * accept, `invalid_scope`, `unauthorized_client` for a grant, or `access_denied`.
 *
 * @module
 */
import type { ServerContext } from '../authorization-server/context.js';
import type { ResolvedClient } from '../clients/types.js';
import {
  AccessDeniedError,
  InvalidScopeError,
  InvalidTargetError,
  type OAuthError,
  UnauthorizedClientError,
} from '../oauth-errors.js';
import type { ClientPolicyDecision } from './client-policy.js';

/** The OAuth error of a refusing `decision`. */
export function policyError(decision: ClientPolicyDecision): OAuthError {
  const message = `refused by this server's client policy: ${decision.reason}`;
  switch (decision.error) {
    case 'invalid_target':
      return new InvalidTargetError(message);
    case 'invalid_scope':
      return new InvalidScopeError(message);
    case 'unauthorized_client':
      return new UnauthorizedClientError(message);
    default:
      return new AccessDeniedError(message);
  }
}

/**
 * Checks `client` against the policy for each of `resources`, with `scopes` through `grantType`;
 * returns the first refusal, or `undefined` when every resource allows it. Logs each refusal.
 */
export async function checkClientPolicy(
  context: ServerContext,
  client: ResolvedClient,
  resources: readonly string[],
  scopes: readonly string[],
  grantType: string,
): Promise<ClientPolicyDecision | undefined> {
  for (const resource of resources) {
    const decision = await context.options.clientPolicy.check(client, resource, scopes, grantType);
    if (!decision.allowed) {
      context.logger.info(
        {
          event: 'client_policy.refused',
          clientId: client.clientId,
          resource,
          grantType,
          reason: decision.reason,
        },
        'refused by the client policy',
      );
      return decision;
    }
  }
  return undefined;
}

/**
 * Throws the OAuth error of the policy's refusal when `client` may not get a token for
 * `audience` with `scope` (space-separated) through `grantType`.
 */
export async function enforceClientPolicy(
  context: ServerContext,
  client: ResolvedClient,
  audience: readonly string[],
  scope: string,
  grantType: string,
): Promise<void> {
  const scopes = scope.split(' ').filter((token) => token !== '');
  const refusal = await checkClientPolicy(context, client, audience, scopes, grantType);
  if (refusal !== undefined) throw policyError(refusal);
}

/**
 * Whether the policy lets `client` get a token for every resource of `audience` with `scope`
 * through `grantType` (no log: e.g. whether to issue a refresh token with a code's tokens).
 */
export async function clientPolicyAllows(
  context: ServerContext,
  client: ResolvedClient,
  audience: readonly string[],
  scope: string,
  grantType: string,
): Promise<boolean> {
  const scopes = scope.split(' ').filter((token) => token !== '');
  for (const resource of audience) {
    const decision = await context.options.clientPolicy.check(client, resource, scopes, grantType);
    if (!decision.allowed) return false;
  }
  return true;
}
