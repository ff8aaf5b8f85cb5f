/**
 * `POST /consent`: the user's decision on the consent page. Checked before anything happens: a
 * same-origin request, a live interaction, the CSRF token in both the form and the interaction's
 * cookie, and the same signed-in user. Then the interaction is used up (once), and the browser is
 * sent back with a code (approve; the approval is remembered) or `access_denied` (deny), by 303.
 * Every failure before that is an error page, never a redirect.
 *
 * @module
 */
import type { ServerContext } from '../authorization-server/context.js';
import type { OAuthParams } from '../http/params.js';
import { formParams } from '../http/params.js';
import { AccessDeniedError, toOAuthError } from '../oauth-errors.js';
import {
  type ConsentFailure,
  checkClientUnchanged,
  failure,
  rememberApproval,
  START_AGAIN,
} from './approval.js';
import { issueCodeAndRedirect } from './code.js';
import { clearConsentCookie, csrfTokensMatch, isSameOriginRequest, readConsentCookie } from './csrf.js';
import { authorizationErrorPage } from './error-page.js';
import { consumeInteraction, type Interaction, loadInteraction } from './interaction.js';
import { authorizationErrorRedirect } from './redirect.js';
import { continueToSignIn } from './sign-in-return.js';

/** The interaction the post is for, once the origin, the CSRF token, the decision and the user are checked. */
async function checkPost(
  context: ServerContext,
  request: Request,
  params: OAuthParams,
): Promise<{ interaction: Interaction; approve: boolean } | ConsentFailure> {
  const { issuer } = context.options;
  const id = params.get('interaction') ?? '';
  const interaction = await loadInteraction(context.store, id);
  if (interaction === undefined) {
    return failure(
      'interaction_unknown',
      `This sign-in request has expired or was already answered. ${START_AGAIN}`,
    );
  }
  const cookie = readConsentCookie(request, issuer, id);
  if (!csrfTokensMatch(interaction.csrfToken, params.get('csrf_token'), cookie)) {
    return failure(
      'csrf_mismatch',
      `The form could not be verified as coming from this browser's sign-in page. ${START_AGAIN}`,
      403,
    );
  }
  const decision = params.get('decision');
  if (decision !== 'approve' && decision !== 'deny') {
    return failure('decision_invalid', 'Choose Allow access or Deny on the sign-in page.');
  }
  if (interaction.signInRequired === true) return { interaction, approve: decision === 'approve' };
  const user = await context.authenticator.authenticate(request, {
    returnTo: context.endpoints.authorization.url,
    prompt: 'none',
  });
  if (user === undefined || user instanceof Response || user.userId !== interaction.userId) {
    return failure(
      'user_mismatch',
      `You are no longer signed in as the user who started this request. ${START_AGAIN}`,
      403,
    );
  }
  return { interaction, approve: decision === 'approve' };
}

async function decide(context: ServerContext, request: Request): Promise<Response | ConsentFailure> {
  if (!isSameOriginRequest(request, context.options.issuer)) {
    return failure('cross_origin', `The form was not sent from this server's page. ${START_AGAIN}`, 403);
  }
  let params: OAuthParams;
  try {
    params = await formParams(request);
  } catch (error) {
    return { reason: 'form_malformed', error: toOAuthError(error), status: 400 };
  }
  const checked = await checkPost(context, request, params);
  if (!('interaction' in checked)) return checked;
  const { interaction, approve } = checked;
  const unchanged = await checkClientUnchanged(context, interaction);
  if (!('client' in unchanged)) return unchanged;
  if (!(await consumeInteraction(context.store, interaction.id, context.options.interactionLifetimeMs))) {
    return failure('interaction_used', `This sign-in request was already answered. ${START_AGAIN}`);
  }
  const fields = { clientId: interaction.clientId, userId: interaction.userId };
  if (approve && interaction.signInRequired === true) {
    context.logger.info(
      { event: 'consent.approved', ...fields, next: 'sign_in' },
      'consent approved; on to sign-in',
    );
    // The interaction's cookie stays: the return from sign-in checks it.
    return continueToSignIn(context, request, interaction);
  }
  let response: Response;
  if (approve) {
    await rememberApproval(context, interaction, unchanged.client);
    context.logger.info({ event: 'consent.approved', ...fields }, 'consent approved');
    response = await issueCodeAndRedirect(context, interaction, {
      userId: interaction.userId,
      authTime: interaction.authTime,
      sessionId: interaction.sessionId,
      name: interaction.userName,
      email: interaction.userEmail,
    });
  } else {
    context.logger.info({ event: 'consent.denied', ...fields }, 'consent denied');
    response = authorizationErrorRedirect(
      interaction.redirectUri,
      context.options.issuer,
      new AccessDeniedError('the user denied the request'),
      interaction.state,
    );
  }
  response.headers.append('set-cookie', clearConsentCookie(context.options.issuer, interaction.id));
  return response;
}

/** Handles the consent form's post. Never throws for bad input: an error page or a 303 redirect. */
export async function handleConsentDecision(context: ServerContext, request: Request): Promise<Response> {
  const result = await decide(context, request);
  if (result instanceof Response) return result;
  context.logger.info(
    { event: 'consent.refused', reason: result.reason, error: result.error.error },
    'consent post refused',
  );
  return authorizationErrorPage(result.error, { status: result.status });
}
