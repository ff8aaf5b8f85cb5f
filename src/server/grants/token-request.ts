/**
 * The token endpoint's request handling (OAuth 2.1 §3.2): form parameters, the refusal of shared
 * secrets, the grant type, client authentication, then the grant. Every failure is an RFC 6749
 * §5.2 JSON error with `Cache-Control: no-store`; nothing secret is ever logged (no codes,
 * verifiers, assertions or tokens: only client ids, grant types and error codes).
 *
 * @module
 */
import type { ServerContext } from '../authorization-server/context.js';
import {
  requireProofWhenClientAsks,
  verifyTokenRequestProof,
  withDpopNonce,
} from '../dpop/token-endpoint.js';
import { replayOf } from '../events.js';
import { formParams } from '../http/params.js';
import { oauthErrorResponse } from '../http/responses.js';
import { InvalidRequestError, UnauthorizedClientError, UnsupportedGrantTypeError } from '../oauth-errors.js';
import { redeemAuthorizationCode } from './authorization-code.js';
import {
  type AuthenticatedClient,
  authenticateClient,
  refuseSharedSecrets,
} from './client-authentication.js';
import { CLIENT_CREDENTIALS_GRANT, grantClientCredentials } from './client-credentials.js';
import { grantOfResponse, tokenResponse } from './issue-tokens.js';
import { grantJwtBearer, JWT_BEARER_GRANT } from './jwt-bearer.js';
import { refreshTokens } from './refresh-token.js';
import { wireError } from './wire-error.js';

/** The grant types this token endpoint implements. */
export const TOKEN_GRANT_TYPES = Object.freeze(['authorization_code', 'refresh_token'] as const);

type GrantType = (typeof TOKEN_GRANT_TYPES)[number];

function isGrantType(value: string): value is GrantType {
  return (TOKEN_GRANT_TYPES as readonly string[]).includes(value);
}

/** Whether `value` is `client_credentials` and the server's policy turns that grant on. */
function isClientCredentials(context: ServerContext, value: string): boolean {
  return value === CLIENT_CREDENTIALS_GRANT && context.options.clientCredentials !== undefined;
}

/** Whether `value` is the JWT bearer grant and the server trusts an assertion issuer (ID-JAG). */
function isJwtBearer(context: ServerContext, value: string): boolean {
  return value === JWT_BEARER_GRANT && context.options.trustedAssertionIssuers !== undefined;
}

/**
 * Whether the client's `jti` is left to the grant to record with its rotation in one store step
 * (`Store.recordJtiAndRotate`): for a refresh grant on a store that offers it.
 */
function recordsJtiWithRotation(context: ServerContext, grantType: string): boolean {
  return grantType === 'refresh_token' && typeof context.store.recordJtiAndRotate === 'function';
}

/**
 * Records the `jti` the grant left pending (it failed before its rotation answered, or in it),
 * so the assertion is used up all the same. Returns the error to answer with: the replay refusal
 * when the `jti` was used before (as when it is recorded first), else `error`, or the store's
 * error recording it.
 */
async function settlePendingJti(
  context: ServerContext,
  auth: AuthenticatedClient | undefined,
  error: unknown,
): Promise<unknown> {
  try {
    await auth?.assertion?.pendingJti?.settle(context.store);
    return error;
  } catch (settleError) {
    return settleError;
  }
}

/**
 * Handles `POST /token`: `grant_type` `authorization_code` or `refresh_token`, and
 * `client_credentials` when the server's `clientCredentials` policy is set; any other grant
 * (`password`, `implicit`, device code, …) is `unsupported_grant_type`.
 * The grant type is checked before the client is resolved, so junk requests cause no fetch.
 */
export async function handleTokenRequest(context: ServerContext, request: Request): Promise<Response> {
  let clientId: string | undefined;
  let grantType: string | undefined;
  let auth: AuthenticatedClient | undefined;
  try {
    const params = await formParams(request);
    refuseSharedSecrets(request, params);
    grantType = params.get('grant_type');
    if (grantType === undefined) throw new InvalidRequestError('the grant_type parameter is missing');
    const clientCredentials = isClientCredentials(context, grantType);
    const jwtBearer = isJwtBearer(context, grantType);
    if (!isGrantType(grantType) && !clientCredentials && !jwtBearer) {
      throw new UnsupportedGrantTypeError(
        `this server supports the grant types ${TOKEN_GRANT_TYPES.join(' and ')} only`,
      );
    }
    const dpop = await verifyTokenRequestProof(context, request);
    auth = await authenticateClient(context, params, {
      deferJtiRecord: recordsJtiWithRotation(context, grantType),
    });
    requireProofWhenClientAsks(auth.client, dpop);
    if (dpop !== undefined) auth.dpop = dpop;
    clientId = auth.client.clientId;
    if (!clientCredentials && !jwtBearer && !auth.client.grantTypes.includes(grantType)) {
      throw new UnauthorizedClientError(
        `the client's metadata does not list the ${grantType} grant in grant_types`,
      );
    }
    const body = clientCredentials
      ? await grantClientCredentials(context, auth, params)
      : jwtBearer
        ? await grantJwtBearer(context, auth, params)
        : grantType === 'authorization_code'
          ? await redeemAuthorizationCode(context, auth, params)
          : await refreshTokens(context, auth, params);
    // Nothing is pending here: the refresh grant's rotation recorded it. Were a grant ever to
    // leave it pending, it is recorded now, and a replayed assertion refused, not answered.
    await auth.assertion?.pendingJti?.settle(context.store);
    context.logger.info(
      { event: 'token_issued', grantType, clientId, withRefreshToken: body.refresh_token !== undefined },
      'tokens issued',
    );
    const grant = grantOfResponse(body);
    context.emit({
      type: 'token.issued',
      grantType,
      clientId,
      sub: grant?.userId ?? '',
      resource: grant?.audience ?? [],
      scope: grant?.scope ?? '',
      refreshToken: body.refresh_token !== undefined,
    });
    return await withDpopNonce(context, tokenResponse(body));
  } catch (thrown) {
    const error = await settlePendingJti(context, auth, thrown);
    const oauth = wireError(context, error, 'token');
    const known =
      grantType !== undefined &&
      (isGrantType(grantType) || isClientCredentials(context, grantType) || isJwtBearer(context, grantType));
    const refusedClient = clientId ?? replayOf(error)?.clientId;
    const fields = {
      error: oauth.error,
      ...(known && grantType !== undefined ? { grantType } : {}),
      ...(refusedClient === undefined ? {} : { clientId: refusedClient }),
    };
    context.logger.info({ event: 'token_refused', ...fields }, oauth.message);
    context.emit({ type: 'token.refused', ...fields });
    return await withDpopNonce(context, oauthErrorResponse(oauth), error);
  }
}
