/**
 * Token revocation (RFC 7009) at `POST /revoke`. The client authenticates exactly as at the token
 * endpoint. Then:
 *
 * - a refresh token of this client: its family is revoked (every token of the chain stops
 *   working);
 * - an access token this server issued to this client: access tokens are short-lived,
 *   self-contained JWTs that resource servers verify offline, so the token itself stays valid
 *   until it expires; but the grant it belongs to (its `grant_id` claim) is revoked, which ends
 *   the grant's refresh tokens (RFC 7009 §2.1 allows revoking the related refresh token);
 * - anything else (unknown, expired, malformed, another client's token): nothing happens.
 *
 * Success is always `200` with an empty body, whether or not something was revoked, so the
 * endpoint reveals nothing about tokens it is shown (RFC 7009 §2.2). `token_type_hint` only
 * decides which kind is looked up first; an unknown hint is ignored.
 *
 * @module
 */
import { compactVerify, createLocalJWKSet, decodeJwt } from 'jose';
import type { ServerContext } from '../authorization-server/context.js';
import { formParams } from '../http/params.js';
import { NO_STORE_HEADERS, oauthErrorResponse } from '../http/responses.js';
import { SERVER_SIGNING_ALGORITHMS } from '../tokens/signing-algorithms.js';
import { authenticateClient, refuseSharedSecrets } from './client-authentication.js';
import { grantEnded } from './grant-ended.js';
import { GRANT_ID_CLAIM, refreshTokenKey } from './issue-tokens.js';
import { wireError } from './wire-error.js';

/** The longest token looked at, in characters (our access tokens are well under 2 KiB). */
const MAX_TOKEN_LENGTH = 16_384;

/** Revokes the refresh token family of `token` when it is `clientId`'s. True when it was a refresh token. */
async function revokeRefreshToken(context: ServerContext, clientId: string, token: string): Promise<boolean> {
  const family = await context.store.findRefreshFamily(await refreshTokenKey(token));
  if (family === undefined) return false;
  if (family.clientId === clientId) {
    await context.store.revokeRefreshFamily(family.familyId);
    await grantEnded(context, family.grantId, 'revocation_request');
    context.logger.info(
      { event: 'refresh_family_revoked', reason: 'revocation_request', clientId, familyId: family.familyId },
      'a refresh token family was revoked at the client’s request',
    );
  }
  return true;
}

/** The grant id of an access token this server signed for `clientId`, if `token` is one. */
async function grantOfAccessToken(
  context: ServerContext,
  clientId: string,
  token: string,
): Promise<string | undefined> {
  if (token.split('.').length !== 3) return undefined;
  try {
    const keys = createLocalJWKSet(await context.signingKeys.publicJwks());
    await compactVerify(token, keys, { algorithms: [...SERVER_SIGNING_ALGORITHMS] });
    const claims = decodeJwt(token);
    const grantId = claims[GRANT_ID_CLAIM];
    if (claims.iss !== context.options.issuer || claims.client_id !== clientId) return undefined;
    return typeof grantId === 'string' && grantId !== '' ? grantId : undefined;
  } catch {
    return undefined;
  }
}

async function revokeAccessToken(context: ServerContext, clientId: string, token: string): Promise<boolean> {
  const grantId = await grantOfAccessToken(context, clientId, token);
  if (grantId === undefined) return false;
  await context.store.revokeGrant(grantId);
  await grantEnded(context, grantId, 'revocation_request');
  context.logger.info(
    { event: 'grant_revoked', reason: 'revocation_request', clientId, grantId },
    'a grant was revoked at the client’s request (access token presented)',
  );
  return true;
}

/** Handles `POST /revoke`; see the module documentation. */
export async function handleRevocationRequest(context: ServerContext, request: Request): Promise<Response> {
  try {
    const params = await formParams(request);
    refuseSharedSecrets(request, params);
    const token = params.require('token');
    const { client } = await authenticateClient(context, params);
    if (token.length <= MAX_TOKEN_LENGTH) {
      const accessFirst = params.get('token_type_hint') === 'access_token';
      const attempts = accessFirst
        ? [revokeAccessToken, revokeRefreshToken]
        : [revokeRefreshToken, revokeAccessToken];
      for (const attempt of attempts) {
        if (await attempt(context, client.clientId, token)) break;
      }
    }
    return new Response(null, { status: 200, headers: { ...NO_STORE_HEADERS } });
  } catch (error) {
    const oauth = wireError(context, error, 'revoke');
    context.logger.info({ event: 'revocation_refused', error: oauth.error }, oauth.message);
    return oauthErrorResponse(oauth);
  }
}
