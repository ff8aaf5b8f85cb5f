/**
 * The `authorization_code` grant (OAuth 2.1 §4.1.3): the code is consumed atomically, and the
 * request must come from the client it was issued to, with the PKCE verifier of its S256
 * challenge, the same `redirect_uri` when one is sent, a resource it is bound to, and a client
 * document whose security-relevant fields did not change since the user approved.
 *
 * A replayed code (a second valid redemption) revokes every refresh token issued from it
 * (PKCE-AS-08); a replay that would itself fail (wrong client, redirect or verifier) revokes
 * nothing, so a stranger holding an old code cannot end someone's grant.
 *
 * @module
 */

import type { AuthorizationCodeRecord, RefreshFamilyRecord } from '../../store/store.js';
import type { ServerContext } from '../authorization-server/context.js';
import { hasClientChanged } from '../clients/fingerprint.js';
import { CODE_VERIFIER_PATTERN, pkceS256Matches, sha256Base64url } from '../crypto.js';
import { DPOP_JKT_EXTRA } from '../dpop/refresh-binding.js';
import { markReplay } from '../events.js';
import type { OAuthParams } from '../http/params.js';
import { InvalidGrantError } from '../oauth-errors.js';
import { clientPolicyAllows, enforceClientPolicy } from '../policy/enforce.js';
import type { AuthenticatedClient } from './client-authentication.js';
import { grantEnded } from './grant-ended.js';
import {
  newRefreshToken,
  type TokenResponseBody,
  tokenResponseBody,
  withUserClaims,
} from './issue-tokens.js';
import { selectAudience } from './narrowing.js';

/** The longest `code` looked up, in characters: ours are 43; anything far longer is not one. */
const MAX_CODE_LENGTH = 512;

const INVALID_CODE = 'the authorization code is invalid, expired or already used; start a new authorization';

/** The request parameters of the grant, checked for shape before the code is touched. */
interface CodeRequest {
  code: string;
  codeVerifier: string;
  redirectUri: string | undefined;
  resource: string | undefined;
}

function readRequest(params: OAuthParams): CodeRequest {
  const code = params.require('code');
  const codeVerifier = params.require('code_verifier');
  if (!CODE_VERIFIER_PATTERN.test(codeVerifier)) {
    throw new InvalidGrantError(
      'the code_verifier must be 43 to 128 characters from A-Z, a-z, 0-9 and "-._~" (RFC 7636 §4.1)',
    );
  }
  return {
    code,
    codeVerifier,
    redirectUri: params.get('redirect_uri'),
    resource: params.get('resource'),
  };
}

/** Why the request does not fit the code, or `undefined` when it does (client, redirect, PKCE). */
async function mismatch(
  record: AuthorizationCodeRecord,
  request: CodeRequest,
  clientId: string,
): Promise<string | undefined> {
  if (record.clientId !== clientId) return 'the authorization code was issued to another client';
  if (request.redirectUri !== undefined && request.redirectUri !== record.redirectUri) {
    return 'the redirect_uri differs from the one in the authorization request; send the same one, or none';
  }
  if (!(await pkceS256Matches(request.codeVerifier, record.codeChallenge))) {
    return 'the code_verifier does not match the code_challenge of the authorization request';
  }
  return undefined;
}

async function createFamily(
  context: ServerContext,
  auth: AuthenticatedClient,
  record: AuthorizationCodeRecord,
): Promise<string> {
  const now = context.now();
  const refresh = await newRefreshToken(now);
  const family: RefreshFamilyRecord = {
    familyId: crypto.randomUUID(),
    grantId: record.grantId,
    clientId: auth.client.clientId,
    userId: record.userId,
    scope: record.scope,
    resources: [...record.resources],
    authMethod: auth.client.authMethod,
    clientFingerprint: auth.client.fingerprint,
    createdAt: now,
    expiresAt: now + context.options.refreshTokenLifetimeMs,
    extra: {
      authTime: record.authTime,
      ...withUserClaims(record.extra),
      // RFC 9449 §5: a public client's refresh tokens are bound to its DPoP key.
      ...(auth.dpop !== undefined && auth.client.authMethod === 'none'
        ? { [DPOP_JKT_EXTRA]: auth.dpop.jkt }
        : {}),
    },
  };
  if (auth.assertion !== undefined) family.keyThumbprint = auth.assertion.keyThumbprint;
  await context.store.createRefreshFamily(family, refresh.hash);
  context.refreshFamilies.remember(refresh.hash, family);
  return refresh.token;
}

/**
 * Redeems an authorization code for `auth`'s client. `params` are the token request's form
 * parameters (`code`, `code_verifier`, optional `redirect_uri` and `resource`).
 *
 * @throws InvalidRequestError when `code` or `code_verifier` is missing; InvalidGrantError for a
 *   malformed verifier, an unknown, expired or replayed code, another client's code, a different
 *   redirect URI (RURI-09), a wrong verifier (PKCE-AS-04) or a changed client document;
 *   InvalidTargetError for a resource the code is not bound to (RES-03).
 */
export async function redeemAuthorizationCode(
  context: ServerContext,
  auth: AuthenticatedClient,
  params: OAuthParams,
): Promise<TokenResponseBody> {
  const request = readRequest(params);
  if (request.code.length > MAX_CODE_LENGTH) throw new InvalidGrantError(INVALID_CODE);
  const { client } = auth;
  const result = await context.store.consumeCode(await sha256Base64url(request.code));
  if (result.status === 'invalid') throw new InvalidGrantError(INVALID_CODE);
  const { record } = result;
  const problem = await mismatch(record, request, client.clientId);
  if (result.status === 'reused') {
    if (problem === undefined) {
      await context.store.revokeGrant(record.grantId);
      await grantEnded(context, record.grantId, 'code_replayed');
      context.logger.warn(
        { event: 'code_replayed', clientId: client.clientId, grantId: record.grantId },
        'an authorization code was redeemed twice; the tokens issued from it are revoked',
      );
      throw markReplay(new InvalidGrantError(INVALID_CODE), 'code', client.clientId);
    }
    throw new InvalidGrantError(INVALID_CODE);
  }
  if (problem !== undefined) throw new InvalidGrantError(problem);
  const audience = selectAudience(request.resource, record.resources, context.options.resources);
  if (hasClientChanged(record.clientFingerprint, client)) {
    throw new InvalidGrantError("the client's metadata changed since approval; sign in again");
  }
  await enforceClientPolicy(context, client, audience, record.scope, 'authorization_code');
  const refreshToken =
    client.grantTypes.includes('refresh_token') &&
    (await clientPolicyAllows(context, client, audience, record.scope, 'refresh_token'))
      ? await createFamily(context, auth, record)
      : undefined;
  return tokenResponseBody(
    context,
    {
      grantId: record.grantId,
      clientId: client.clientId,
      userId: record.userId,
      audience,
      scope: record.scope,
      authTime: record.authTime,
      ...withUserClaims(record.extra),
      ...(auth.dpop === undefined ? {} : { dpopJkt: auth.dpop.jkt }),
    },
    refreshToken,
  );
}
