/**
 * Issuing the authorization code: a random 256-bit code, stored only as its SHA-256 with the grant
 * it stands for for `codeLifetimeMs`, and the redirect that carries it with `state` and `iss`
 * (RFC 9207).
 *
 * @module
 */
import type { ServerContext } from '../authorization-server/context.js';
import { sha256Base64url } from '../crypto.js';
import { redirectWithParams } from '../http/responses.js';
import { randomToken } from '../random-token.js';

/** What a code is issued for: the request as approved (an interaction has these fields too). */
export interface CodeRequest {
  clientId: string;
  /** The redirect URI as requested: the token request must match it (RURI-09). */
  redirectUri: string;
  state?: string | undefined;
  codeChallenge: string;
  resources: string[];
  scopes: string[];
  /** The client's document fingerprint the user approved. */
  clientFingerprint: string;
}

/** Who approved: the signed-in user (an `AuthenticatedUser` fits). */
export interface CodeUser {
  userId: string;
  /** When the user authenticated, epoch ms. */
  authTime: number;
  /** The authenticator's reference to the user's sign-in (see `AuthenticatedUser.sessionId`). */
  sessionId?: string | undefined;
  /** The user's name and e-mail address, when the sign-in gave them (see the `userClaims` option). */
  name?: string | undefined;
  email?: string | undefined;
}

/** The `userClaims` the server puts in access tokens, from what the sign-in told about the user. */
function userClaimsOf(context: ServerContext, user: CodeUser): Record<string, string> | undefined {
  const claims: Record<string, string> = {};
  for (const claim of context.options.userClaims) {
    const value = user[claim];
    if (typeof value === 'string' && value !== '') claims[claim] = value;
  }
  return Object.keys(claims).length === 0 ? undefined : claims;
}

/**
 * Saves a new code for `grant` (hashed, with a new grant id), tells the authenticator about the
 * grant (so it can bind upstream tokens to it), and returns the 303 redirect to the client with
 * `code`, `state` (when the request had one) and `iss`.
 */
export async function issueCodeAndRedirect(
  context: ServerContext,
  request: CodeRequest,
  user: CodeUser,
): Promise<Response> {
  const code = randomToken(32);
  const grantId = randomToken(16);
  const userClaims = userClaimsOf(context, user);
  await context.authenticator.grantIssued?.({
    grantId,
    clientId: request.clientId,
    userId: user.userId,
    ...(user.sessionId === undefined ? {} : { sessionId: user.sessionId }),
    expiresAt: context.now() + context.options.refreshTokenLifetimeMs,
  });
  await context.store.saveCode(
    await sha256Base64url(code),
    {
      grantId,
      clientId: request.clientId,
      userId: user.userId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      resources: [...request.resources],
      scope: request.scopes.join(' '),
      clientFingerprint: request.clientFingerprint,
      authTime: user.authTime,
      ...(userClaims === undefined ? {} : { extra: { userClaims } }),
    },
    context.options.codeLifetimeMs,
  );
  return redirectWithParams(request.redirectUri, context.options.issuer, { code, state: request.state });
}
