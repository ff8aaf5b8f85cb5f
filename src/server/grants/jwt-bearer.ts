/**
 * The JWT bearer grant (RFC 7523 §2.1) carrying an Identity Assertion JWT Authorization Grant
 * (ID-JAG, `typ` `oauth-id-jag+jwt`; draft-ietf-oauth-identity-assertion-authz-grant; MCP's
 * enterprise-managed authorization, SEP-990): an enterprise identity provider the operator
 * trusts vouches for a user of a client, for a resource here, and this server issues its own
 * access token for that user without a browser.
 *
 * Granted only when every rule holds (else `invalid_grant` unless said otherwise):
 *
 * - the server trusts at least one assertion issuer (else the grant type is unsupported);
 * - the client authenticated with `private_key_jwt` (a public client is `unauthorized_client`);
 * - `assertion` is a compact JWT whose header `typ` is `oauth-id-jag+jwt`, whose `iss` is a
 *   trusted issuer (plain string comparison), signed with an asymmetric algorithm by one of that
 *   issuer's keys;
 * - `aud` names this server's issuer; `exp`, `iat`, `sub`, `jti` and `client_id` are present;
 *   `exp` is not past and `iat` not in the future (60 s skew); `client_id` is the authenticated
 *   client's `client_id`;
 * - `jti` is new for that issuer (recorded in the store until `exp`): a replay is refused;
 * - the assertion's `resource` (a string or an array) names a resource this server serves, and
 *   the request's `resource`, when given, is one of them (`invalid_target` otherwise);
 * - the request's `scope`, when given, is within the assertion's `scope` and the client's scope
 *   ceiling (its metadata's `scope`, when it has one) (`invalid_scope`); without one, the
 *   assertion's scope narrowed to that ceiling is granted; the granted scope is also within
 *   `scopesSupported` when that is set.
 *
 * The token's `sub` is ours for the (issuer, subject) pair, as for an upstream sign-in
 * (`subjectFor`); no refresh token is issued (ask the identity provider for a new assertion).
 *
 * @module
 */

import { decodeJwt, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from 'jose';
import { CLIENT_ASSERTION_ALGORITHMS } from '../auth/assertion-algorithms.js';
import type { ServerContext } from '../authorization-server/context.js';
import {
  checkWithinCeiling,
  narrowToCeiling,
  scopeCeilingOf,
  scopeTokens,
} from '../clients/scope-ceiling.js';
import { markReplay } from '../events.js';
import type { OAuthParams } from '../http/params.js';
import {
  InvalidGrantError,
  InvalidRequestError,
  InvalidScopeError,
  InvalidTargetError,
  TemporarilyUnavailableError,
  UnauthorizedClientError,
} from '../oauth-errors.js';
import { enforceClientPolicy } from '../policy/enforce.js';
import { subjectFor } from '../upstream/identity.js';
import type { AuthenticatedClient } from './client-authentication.js';
import { type TokenResponseBody, tokenResponseBody } from './issue-tokens.js';
import { comparableResource } from './narrowing.js';

/** The grant type (RFC 7523 §2.1). */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** The `typ` of an Identity Assertion JWT Authorization Grant. */
export const ID_JAG_TYP = 'oauth-id-jag+jwt';

/** The clock skew allowed on `exp` and `iat`, in seconds. */
const CLOCK_SKEW_S = 60;

/** The longest assertion read, in characters. */
const MAX_ASSERTION_LENGTH = 16_384;

/** The replay namespace of an issuer's `jti`s in the store. */
const replayKey = (issuer: string) => `id-jag:${issuer}`;

function readAssertion(params: OAuthParams): { assertion: string; issuer: string } {
  const assertion = params.get('assertion');
  if (assertion === undefined || assertion === '') {
    throw new InvalidRequestError(
      'the assertion parameter is missing: send the ID-JAG from your identity provider',
    );
  }
  if (assertion.length > MAX_ASSERTION_LENGTH) throw new InvalidGrantError('the assertion is too long');
  let typ: unknown;
  let issuer: unknown;
  try {
    typ = decodeProtectedHeader(assertion).typ;
    issuer = decodeJwt(assertion).iss;
  } catch {
    throw new InvalidGrantError('the assertion is not a JWT');
  }
  if (typeof typ !== 'string' || typ.toLowerCase() !== ID_JAG_TYP) {
    throw new InvalidGrantError(`the assertion's typ must be ${ID_JAG_TYP} (an identity assertion grant)`);
  }
  if (typeof issuer !== 'string') throw new InvalidGrantError('the assertion has no iss');
  return { assertion, issuer };
}

async function verifyAssertion(
  context: ServerContext,
  assertion: string,
  issuer: string,
): Promise<JWTPayload & { sub: string; jti: string; exp: number }> {
  const keys = context.options.trustedAssertionIssuers?.get(issuer);
  if (keys === undefined) {
    throw new InvalidGrantError(
      'the assertion was issued by an identity provider this server does not trust',
    );
  }
  try {
    const { payload } = await jwtVerify(assertion, keys, {
      issuer,
      audience: context.options.issuer,
      typ: ID_JAG_TYP,
      algorithms: [...CLIENT_ASSERTION_ALGORITHMS],
      requiredClaims: ['exp', 'iat', 'sub', 'jti', 'client_id'],
      clockTolerance: CLOCK_SKEW_S,
      currentDate: new Date(context.now()),
    });
    // jose checks iat only against a maximum age: an assertion from the future is refused here.
    if (typeof payload.iat !== 'number' || payload.iat > context.now() / 1000 + CLOCK_SKEW_S) {
      throw new InvalidGrantError('the assertion was issued in the future (its iat)');
    }
    return payload as JWTPayload & { sub: string; jti: string; exp: number };
  } catch (error) {
    if (error instanceof InvalidGrantError) throw error;
    if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
      throw new TemporarilyUnavailableError(
        "the identity provider's keys could not be loaded; try again later",
      );
    }
    const reason = error instanceof errors.JOSEError ? error.message : 'it could not be verified';
    throw new InvalidGrantError(`the assertion was refused: ${reason}`);
  }
}

/** The served resources the assertion names, narrowed to the request's `resource`. */
function audienceOf(context: ServerContext, claim: unknown, requested: string | undefined): string[] {
  const named = typeof claim === 'string' ? [claim] : Array.isArray(claim) ? claim : [];
  if (named.length === 0 || named.some((value) => typeof value !== 'string')) {
    throw new InvalidGrantError('the assertion names no resource (its resource claim)');
  }
  const served = new Map(
    context.options.resources.map((resource) => [comparableResource(resource), resource]),
  );
  const usable = (named as string[])
    .map((value) => served.get(comparableResource(value)))
    .filter((value): value is string => value !== undefined);
  if (usable.length === 0) {
    throw new InvalidTargetError('the assertion is for a resource this server does not issue tokens for');
  }
  if (requested === undefined) return usable;
  const wanted = comparableResource(requested);
  const match = usable.find((resource) => comparableResource(resource) === wanted);
  if (match === undefined) {
    throw new InvalidTargetError('the resource parameter names a resource the assertion is not for');
  }
  return [match];
}

/**
 * The granted scope: the request's within the assertion's, within `scopesSupported`, within the
 * client's scope ceiling (its metadata's `scope`; none declared: no ceiling). Without a `scope`
 * parameter, the assertion's scope narrowed to the ceiling.
 */
function scopeOf(
  context: ServerContext,
  auth: AuthenticatedClient,
  claim: unknown,
  requested: string | undefined,
): string {
  const granted = typeof claim === 'string' ? scopeTokens(claim) : [];
  const ceiling = scopeCeilingOf(auth.client);
  const wanted = requested === undefined ? narrowToCeiling(granted, ceiling).granted : scopeTokens(requested);
  const beyond = wanted.find((token) => !granted.includes(token));
  if (beyond !== undefined) {
    throw new InvalidScopeError(
      `the scope ${JSON.stringify(beyond.slice(0, 100))} is beyond what the assertion grants (${granted.join(' ') || 'nothing'})`,
    );
  }
  checkWithinCeiling(wanted, ceiling);
  const supported = context.options.scopesSupported;
  const unsupported =
    supported === undefined ? undefined : wanted.find((token) => !supported.includes(token));
  if (unsupported !== undefined) {
    throw new InvalidScopeError(
      `the scope ${JSON.stringify(unsupported.slice(0, 100))} is not supported here`,
    );
  }
  return wanted.join(' ');
}

/**
 * Issues an access token for the user the ID-JAG in `params.assertion` names, to `auth`'s
 * client. See the module documentation for the rules.
 *
 * @throws UnauthorizedClientError, InvalidRequestError, InvalidGrantError, InvalidTargetError,
 *   InvalidScopeError, TemporarilyUnavailableError (the issuer's keys could not be loaded).
 */
export async function grantJwtBearer(
  context: ServerContext,
  auth: AuthenticatedClient,
  params: OAuthParams,
): Promise<TokenResponseBody> {
  const { client } = auth;
  if (client.authMethod !== 'private_key_jwt' || auth.assertion === undefined) {
    throw new UnauthorizedClientError(
      'the jwt-bearer grant needs client authentication: only clients that authenticate with private_key_jwt may use it',
    );
  }
  const { assertion, issuer } = readAssertion(params);
  const claims = await verifyAssertion(context, assertion, issuer);
  if (claims.client_id !== client.clientId) {
    throw new InvalidGrantError('the assertion was issued to another client (its client_id claim)');
  }
  const audience = audienceOf(context, claims.resource, params.get('resource'));
  const scope = scopeOf(context, auth, claims.scope, params.get('scope'));
  await enforceClientPolicy(context, client, audience, scope, JWT_BEARER_GRANT);
  const ttlMs = Math.max(1000, (claims.exp + CLOCK_SKEW_S) * 1000 - context.now());
  if (!(await context.store.recordJti(replayKey(issuer), claims.jti, ttlMs))) {
    throw markReplay(
      new InvalidGrantError('the assertion was already used (its jti was seen before)'),
      'jti',
      client.clientId,
    );
  }
  return tokenResponseBody(context, {
    grantId: crypto.randomUUID(),
    clientId: client.clientId,
    userId: await subjectFor(issuer, claims.sub),
    audience,
    scope,
    ...(auth.dpop === undefined ? {} : { dpopJkt: auth.dpop.jkt }),
  });
}
