/**
 * The `refresh_token` grant (OAuth 2.1 §4.3) with rotation on every use (MCP-AS-13: public
 * clients MUST rotate; this server rotates for every client) and reuse detection: presenting a
 * token that was already rotated away revokes the whole family.
 *
 * Key binding (PKJ-17, CIMD-AS-20), this server's policy: a `private_key_jwt` family is bound to
 * the key that last authenticated for it. A refresh is accepted while that key is still published
 * in the client's document; it may be signed by ANY currently published key of the client (keys
 * rotate: stage, promote, retire), and the family is then re-bound to the key that signed it.
 * Once the bound key has left the document, the family is revoked and the refresh refused
 * (`invalid_grant`): a key that was removed, perhaps because it leaked, ends what it was bound
 * to. The client's auth method must still be the one the family was created with.
 *
 * @module
 */

import type { RefreshFamilyChanges, RefreshFamilyRecord, RotateRefreshResult } from '../../store/store.js';
import { assertionReplayed } from '../auth/pending-jti.js';
import type { ServerContext } from '../authorization-server/context.js';
import { scopeCeilingOf } from '../clients/scope-ceiling.js';
import { checkDpopRefreshBinding } from '../dpop/refresh-binding.js';
import { markReplay } from '../events.js';
import type { OAuthParams } from '../http/params.js';
import { InvalidGrantError } from '../oauth-errors.js';
import { enforceClientPolicy } from '../policy/enforce.js';
import type { AuthenticatedClient } from './client-authentication.js';
import { grantEnded } from './grant-ended.js';
import {
  newRefreshToken,
  refreshTokenKey,
  type TokenResponseBody,
  tokenResponseBody,
  withUserClaims,
} from './issue-tokens.js';
import { selectAudience, selectScope } from './narrowing.js';
import { sameFixedFields } from './refresh-family-cache.js';

/** The longest refresh token looked up, in characters: ours are 55 (43 before the time prefix). */
const MAX_REFRESH_TOKEN_LENGTH = 512;

const INVALID_TOKEN = 'the refresh token is invalid, expired or revoked; sign in again';

/** Checks that `family` may be refreshed by `auth`'s client as it is now; revokes it when its key left. */
async function checkBinding(
  context: ServerContext,
  auth: AuthenticatedClient,
  family: RefreshFamilyRecord,
): Promise<void> {
  const { client } = auth;
  if (family.clientId !== client.clientId) throw new InvalidGrantError(INVALID_TOKEN);
  checkDpopRefreshBinding(family, auth.dpop);
  if (family.authMethod !== client.authMethod) {
    throw new InvalidGrantError(
      `the client's token_endpoint_auth_method changed from ${family.authMethod} to ${client.authMethod} since this grant was issued; sign in again`,
    );
  }
  if (client.authMethod !== 'private_key_jwt') return;
  const bound = family.keyThumbprint;
  if (bound === undefined || !(await context.assertions.isKeyStillPublished(client, bound))) {
    // The assertion is used up before it changes anything: a replayed one is refused here.
    await auth.assertion?.pendingJti?.settle(context.store);
    await revokeFamily(
      context,
      family,
      'key_removed',
      'info',
      "a refresh token family was revoked because its key left the client's key set",
    );
    throw new InvalidGrantError(
      "the key this grant is bound to is no longer in the client's published keys, so the grant was revoked; sign in again",
    );
  }
}

/** Revokes `family`, ends its grant (the authenticator's hook) and logs why at `level`. */
async function revokeFamily(
  context: ServerContext,
  family: RefreshFamilyRecord,
  reason: 'key_removed' | 'family_changed',
  level: 'info' | 'error',
  message: string,
): Promise<void> {
  await context.store.revokeRefreshFamily(family.familyId);
  await grantEnded(context, family.grantId, reason);
  context.logger[level](
    { event: 'refresh_family_revoked', reason, clientId: family.clientId, familyId: family.familyId },
    message,
  );
}

/**
 * Fails closed when the family the store rotated differs, in a field that never changes, from the
 * one this instance remembered and checked: it revokes the family and refuses. This cannot happen
 * while the store keeps what it was given; it guards the cache against a store that does not.
 */
async function refuseChangedFamily(context: ServerContext, family: RefreshFamilyRecord): Promise<never> {
  await revokeFamily(
    context,
    family,
    'family_changed',
    'error',
    'a refresh token family read back from the store differs from what this server wrote; it was revoked',
  );
  throw new InvalidGrantError(INVALID_TOKEN);
}

/**
 * Rotates `oldHash` to `newHash`. A `jti` the client authentication left pending is recorded in
 * the same store step when the store offers one (`recordJtiAndRotate`), else just before.
 *
 * @throws InvalidClientError (a replay) when that `jti` was used before: nothing rotated.
 */
async function rotate(
  context: ServerContext,
  auth: AuthenticatedClient,
  oldHash: string,
  newHash: string,
  changes: RefreshFamilyChanges,
): Promise<RotateRefreshResult> {
  const { store } = context;
  const pending = auth.assertion?.pendingJti;
  const jti = pending?.record;
  if (pending === undefined || jti === undefined || store.recordJtiAndRotate === undefined) {
    await pending?.settle(store);
    return store.rotateRefreshToken(oldHash, newHash, changes);
  }
  // Marked recorded only once the step answered: a step that failed stays pending, and the token
  // endpoint records the jti on its own.
  const result = await store.recordJtiAndRotate(jti, oldHash, newHash, changes);
  pending.markRecorded();
  if (result.status === 'replayed') throw assertionReplayed(jti.clientId);
  return result;
}

/**
 * Refreshes with `params.refresh_token` for `auth`'s client, narrowing `scope` and `resource`
 * when asked, and returns a new access token and a new refresh token (the old one is then used
 * up).
 *
 * @throws InvalidRequestError when `refresh_token` is missing; InvalidGrantError for an unknown,
 *   expired, revoked, reused or foreign token, a changed auth method, or a bound key no longer
 *   published (the family is then revoked); InvalidScopeError / InvalidTargetError for a scope or
 *   resource beyond the grant, or a scope beyond the client's scope ceiling (its metadata's
 *   `scope` now: a grant keeps only what the client still lists); InvalidClientError when the
 *   client assertion's `jti`, left pending by the client authentication, was used before.
 */
export async function refreshTokens(
  context: ServerContext,
  auth: AuthenticatedClient,
  params: OAuthParams,
): Promise<TokenResponseBody> {
  const presented = params.require('refresh_token');
  if (presented.length > MAX_REFRESH_TOKEN_LENGTH) throw new InvalidGrantError(INVALID_TOKEN);
  const oldHash = await refreshTokenKey(presented);
  // A family this instance rotated to (or created with) this token is checked as it wrote it;
  // the rotation below decides revocation, expiry and reuse from the store either way.
  const remembered = context.refreshFamilies.take(oldHash);
  const family = remembered ?? (await context.store.findRefreshFamily(oldHash));
  if (family === undefined) throw new InvalidGrantError(INVALID_TOKEN);
  await checkBinding(context, auth, family);
  const scope = selectScope(params.get('scope'), family.scope, scopeCeilingOf(auth.client));
  const audience = selectAudience(params.get('resource'), family.resources, context.options.resources);
  await enforceClientPolicy(context, auth.client, audience, scope, 'refresh_token');

  const next = await newRefreshToken(context.now());
  const changes: RefreshFamilyChanges = { clientFingerprint: auth.client.fingerprint };
  if (auth.assertion !== undefined) changes.keyThumbprint = auth.assertion.keyThumbprint;
  const result = await rotate(context, auth, oldHash, next.hash, changes);
  if (result.status === 'reused') {
    context.logger.warn(
      { event: 'refresh_token_reused', clientId: auth.client.clientId, familyId: result.family.familyId },
      'a refresh token was used twice; its family is revoked',
    );
    await grantEnded(context, result.family.grantId, 'refresh_token_reused');
    throw markReplay(new InvalidGrantError(INVALID_TOKEN), 'refresh_token', auth.client.clientId);
  }
  if (result.status !== 'rotated') throw new InvalidGrantError(INVALID_TOKEN);
  if (remembered !== undefined && !sameFixedFields(remembered, result.family)) {
    await refuseChangedFamily(context, result.family);
  }
  context.refreshFamilies.remember(next.hash, result.family);
  const authTime = result.family.extra?.authTime;
  return tokenResponseBody(
    context,
    {
      grantId: result.family.grantId,
      clientId: auth.client.clientId,
      userId: result.family.userId,
      audience,
      scope,
      ...(typeof authTime === 'number' ? { authTime } : {}),
      ...withUserClaims(result.family.extra),
      ...(auth.dpop === undefined ? {} : { dpopJkt: auth.dpop.jkt }),
    },
    next.token,
  );
}
