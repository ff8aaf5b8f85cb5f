/**
 * Sign-in after consent (MCP-AS-23): once the user approved on our consent page, the
 * authenticator sends the browser to the upstream identity provider, and the browser comes back
 * to `GET /authorize/return?interaction=<id>`, which finishes the authorization: a code for the
 * user who signed in, or the OAuth error at the client's (validated) redirect URI when the
 * sign-in failed. The return must come from the browser that approved (the interaction's cookie)
 * and is usable once.
 *
 * @module
 */
import type { ServerContext } from '../authorization-server/context.js';
import { timingSafeEqualStrings } from '../crypto.js';
import {
  type AuthenticatedUser,
  SIGN_IN_ERROR_PARAM,
  SIGN_IN_FAILURE_CODES,
  type SignInFailureCode,
} from '../login/authenticator.js';
import {
  AccessDeniedError,
  type OAuthError,
  ServerError,
  TemporarilyUnavailableError,
} from '../oauth-errors.js';
import {
  type ConsentFailure,
  checkClientUnchanged,
  failure,
  rememberApproval,
  START_AGAIN,
} from './approval.js';
import { issueCodeAndRedirect } from './code.js';
import { clearConsentCookie, readConsentCookie } from './csrf.js';
import { authorizationErrorPage } from './error-page.js';
import {
  consumeApprovedInteraction,
  type Interaction,
  loadApprovedInteraction,
  saveApprovedInteraction,
} from './interaction.js';
import { authorizationErrorRedirect } from './redirect.js';

/** The URL the authenticator sends the browser back to for `interaction`. */
function returnUrl(context: ServerContext, interaction: Interaction): string {
  return `${context.endpoints.signInReturn.url}?interaction=${interaction.id}`;
}

/** The OAuth error the client gets for a failed sign-in. */
function signInError(code: SignInFailureCode): OAuthError {
  switch (code) {
    case 'access_denied':
      return new AccessDeniedError('the user did not sign in at the identity provider');
    case 'user_not_allowed':
      return new AccessDeniedError('this account is not allowed to use this server');
    case 'temporarily_unavailable':
      return new TemporarilyUnavailableError('the identity provider did not answer; try again later');
    case 'server_error':
      return new ServerError("the identity provider's answer could not be verified");
  }
}

/** Uses up `interaction`, then answers the client with `error` (303 to its redirect URI), clearing the cookie. */
async function endWithError(
  context: ServerContext,
  interaction: Interaction,
  code: SignInFailureCode,
  reason: string,
): Promise<Response> {
  const { store, options, logger } = context;
  await consumeApprovedInteraction(store, interaction.id, options.interactionLifetimeMs);
  const error = signInError(code);
  logger.info(
    { event: 'authorization.refused', reason, error: error.error, clientId: interaction.clientId },
    'sign-in after consent failed',
  );
  const redirect = authorizationErrorRedirect(
    interaction.redirectUri,
    options.issuer,
    error,
    interaction.state,
  );
  let response = redirect;
  if (code === 'user_not_allowed') {
    response = await authorizationErrorPage(
      new AccessDeniedError(
        'You signed in, but this account is not allowed to use this server. Ask its operator for access, or sign in with another account.',
      ),
      {
        status: 403,
        clientId: interaction.clientId,
        continueUrl: redirect.headers.get('location') ?? undefined,
      },
    );
  }
  response.headers.append('set-cookie', clearConsentCookie(options.issuer, interaction.id));
  return response;
}

/** Issues the code for `user` (the approval remembered for them), once. */
async function complete(
  context: ServerContext,
  interaction: Interaction,
  user: AuthenticatedUser,
): Promise<Response | ConsentFailure> {
  const unchanged = await checkClientUnchanged(context, interaction);
  if (!('client' in unchanged)) return unchanged;
  const { store, options, logger } = context;
  if (!(await consumeApprovedInteraction(store, interaction.id, options.interactionLifetimeMs))) {
    return failure('interaction_used', `This sign-in request was already answered. ${START_AGAIN}`);
  }
  await rememberApproval(context, interaction, unchanged.client, user.userId);
  logger.info(
    { event: 'authorization.signed_in', clientId: interaction.clientId, userId: user.userId },
    'signed in after consent; code issued',
  );
  const response = await issueCodeAndRedirect(context, interaction, user);
  response.headers.append('set-cookie', clearConsentCookie(options.issuer, interaction.id));
  return response;
}

async function pageFor(result: Response | ConsentFailure, context: ServerContext): Promise<Response> {
  if (result instanceof Response) return result;
  context.logger.info(
    { event: 'consent.refused', reason: result.reason, error: result.error.error },
    'return from sign-in refused',
  );
  return authorizationErrorPage(result.error, { status: result.status });
}

/**
 * After the user approved `interaction`: keeps it for the return, and lets the authenticator
 * send the browser to sign in (or, when someone is signed in already, finishes at once).
 */
export async function continueToSignIn(
  context: ServerContext,
  request: Request,
  interaction: Interaction,
): Promise<Response> {
  await saveApprovedInteraction(context.store, interaction, context.options.interactionLifetimeMs);
  const result = await context.authenticator.authenticate(request, {
    returnTo: returnUrl(context, interaction),
    ...(interaction.prompt === undefined ? {} : { prompt: interaction.prompt }),
    ...(interaction.loginHint === undefined ? {} : { loginHint: interaction.loginHint }),
  });
  if (result instanceof Response) return result;
  if (result === undefined) return endWithError(context, interaction, 'access_denied', 'sign_in_refused');
  return pageFor(await complete(context, interaction, result), context);
}

function isSignInFailureCode(value: string): value is SignInFailureCode {
  return (SIGN_IN_FAILURE_CODES as readonly string[]).includes(value);
}

/** Handles `GET /authorize/return`; never throws for bad input. */
export async function handleSignInReturn(context: ServerContext, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const id = url.searchParams.get('interaction') ?? '';
  const interaction = await loadApprovedInteraction(context.store, id);
  if (interaction === undefined) {
    return pageFor(
      failure(
        'interaction_unknown',
        `This sign-in request has expired or was already answered. ${START_AGAIN}`,
      ),
      context,
    );
  }
  const cookie = readConsentCookie(request, context.options.issuer, id);
  if (cookie === undefined || !timingSafeEqualStrings(interaction.csrfToken, cookie)) {
    return pageFor(
      failure('browser_mismatch', `This sign-in was started in another browser. ${START_AGAIN}`, 403),
      context,
    );
  }
  const reported = url.searchParams.get(SIGN_IN_ERROR_PARAM);
  if (reported !== null) {
    const code = isSignInFailureCode(reported) ? reported : 'server_error';
    return endWithError(context, interaction, code, `sign_in_${code}`);
  }
  const user = await context.authenticator.authenticate(request, {
    returnTo: returnUrl(context, interaction),
    prompt: 'none',
  });
  const fresh = !(interaction.prompt ?? '').split(' ').includes('login');
  if (user === undefined || user instanceof Response || (!fresh && user.authTime < interaction.createdAt)) {
    return endWithError(context, interaction, 'access_denied', 'sign_in_incomplete');
  }
  return pageFor(await complete(context, interaction, user), context);
}
