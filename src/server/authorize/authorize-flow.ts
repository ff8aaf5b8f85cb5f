/**
 * `GET /authorize` and `POST /authorize`: the authorization request, in the order that keeps
 * unvalidated redirect URIs out of reach: the client and its redirect URI first (failures on an
 * error page), then every other parameter (failures redirected with `state` and `iss`), sign-in,
 * and the consent decision: skip (code and redirect) or the consent page with a fresh interaction.
 *
 * @module
 */
import type { ServerContext } from '../authorization-server/context.js';
import type { ResolvedClient } from '../clients/types.js';
import { formParams, type OAuthParams, queryParams } from '../http/params.js';
import type { AuthenticatedUser } from '../login/authenticator.js';
import { ConsentRequiredError, LoginRequiredError, toOAuthError } from '../oauth-errors.js';
import { renderConsentPage } from '../ui/consent-page.js';
import { validateClientAndRedirect } from './client-step.js';
import { issueCodeAndRedirect } from './code.js';
import { decideConsent } from './consent-decision.js';
import { consentViewOf } from './consent-view.js';
import { consentCookie } from './csrf.js';
import { authorizationErrorPage } from './error-page.js';
import { saveInteraction } from './interaction.js';
import { logoPathFor } from './logo.js';
import { promptAfterLogin } from './prompt.js';
import { authorizationErrorRedirect } from './redirect.js';
import { AuthorizationRefusal, refuse } from './refusal.js';
import { stateToEcho } from './request-checks.js';
import { type AuthorizationRequest, validateAuthorizationRequest } from './validate-request.js';

/** The URL the browser comes back to after signing in: this request again, without `prompt=login`. */
function returnToUrl(context: ServerContext, params: OAuthParams, request: AuthorizationRequest): string {
  const search = params.toSearchParams();
  const prompt = promptAfterLogin(request.prompt);
  if (prompt === undefined) search.delete('prompt');
  else search.set('prompt', prompt);
  return `${context.endpoints.authorization.url}?${search.toString()}`;
}

/** Signs the user in: the user, or the authenticator's own response; refuses `login_required`. */
async function signIn(
  context: ServerContext,
  request: Request,
  params: OAuthParams,
  authorization: AuthorizationRequest,
): Promise<AuthenticatedUser | Response> {
  const prompt = params.get('prompt');
  const result = await context.authenticator.authenticate(request, {
    returnTo: returnToUrl(context, params, authorization),
    ...(prompt === undefined ? {} : { prompt }),
  });
  if (result === undefined) refuse('login_required', new LoginRequiredError('the user is not signed in'));
  return result;
}

/** Saves the interaction and renders the consent page, with its CSRF cookie. */
async function showConsentPage(
  context: ServerContext,
  client: ResolvedClient,
  authorization: AuthorizationRequest,
  user: AuthenticatedUser,
): Promise<Response> {
  const { options, store } = context;
  const interaction = await saveInteraction(
    store,
    {
      clientId: client.clientId,
      redirectUri: authorization.redirectUri,
      ...(authorization.state === undefined ? {} : { state: authorization.state }),
      codeChallenge: authorization.codeChallenge,
      resources: authorization.resources,
      scopes: authorization.scopes,
      userId: user.userId,
      authTime: user.authTime,
      clientFingerprint: client.fingerprint,
      createdAt: context.now(),
    },
    options.interactionLifetimeMs,
  );
  const logoPath = await logoPathFor(context, client);
  const response = await renderConsentPage(
    consentViewOf({
      client,
      redirectUri: authorization.redirectUri,
      scopes: authorization.scopes,
      resources: authorization.resources,
      user,
      formAction: context.endpoints.consent.path,
      interactionId: interaction.id,
      csrfToken: interaction.csrfToken,
      ...(logoPath === undefined ? {} : { logoPath }),
    }),
  );
  const maxAge = Math.ceil(options.interactionLifetimeMs / 1000);
  response.headers.append(
    'set-cookie',
    consentCookie(options.issuer, interaction.id, interaction.csrfToken, maxAge),
  );
  return response;
}

/** Sign-in and the consent decision for a valid request. */
async function authorize(
  context: ServerContext,
  request: Request,
  params: OAuthParams,
  client: ResolvedClient,
  authorization: AuthorizationRequest,
): Promise<Response> {
  const user = await signIn(context, request, params, authorization);
  if (user instanceof Response) return user;
  const remembered = await context.store.getConsent(user.userId, client.clientId);
  const decision = decideConsent(authorization, client, remembered, context.options.consent);
  const fields = { clientId: client.clientId, userId: user.userId, reason: decision.reason };
  if (decision.action === 'consent_required') {
    refuse(
      decision.reason,
      new ConsentRequiredError('the user must approve this client first (prompt=none)'),
    );
  }
  if (decision.action === 'ask') {
    context.logger.info({ event: 'consent.shown', ...fields }, 'consent page shown');
    return showConsentPage(context, client, authorization, user);
  }
  context.logger.info(
    { event: 'consent.skipped', ...fields },
    'authorization approved without the consent page',
  );
  return issueCodeAndRedirect(context, {
    clientId: client.clientId,
    userId: user.userId,
    redirectUri: authorization.redirectUri,
    ...(authorization.state === undefined ? {} : { state: authorization.state }),
    codeChallenge: authorization.codeChallenge,
    resources: authorization.resources,
    scopes: authorization.scopes,
    clientFingerprint: client.fingerprint,
    authTime: user.authTime,
  });
}

/**
 * Handles an authorization request (GET with a query, or POST with a form body). Never throws
 * for bad input: an error page (client, redirect URI or parameter syntax) or an error redirect to
 * the validated redirect URI.
 */
export async function handleAuthorizationRequest(
  context: ServerContext,
  request: Request,
): Promise<Response> {
  const { logger, options } = context;
  let params: OAuthParams;
  try {
    params = request.method === 'POST' ? await formParams(request) : queryParams(request);
  } catch (error) {
    const oauth = toOAuthError(error);
    logger.info(
      { event: 'authorization.refused', reason: 'parameters_malformed', error: oauth.error },
      'authorization refused',
    );
    return authorizationErrorPage(oauth);
  }
  const step = await validateClientAndRedirect(context, params);
  if (!step.ok) {
    logger.info(
      {
        event: 'authorization.refused',
        reason: step.reason,
        error: step.error.error,
        clientId: step.clientId,
      },
      'authorization refused',
    );
    return authorizationErrorPage(step.error, { clientId: step.clientId });
  }
  const { client, redirectUri } = step;
  try {
    const authorization = validateAuthorizationRequest(params, client, redirectUri, options);
    logger.info(
      {
        event: 'authorization.started',
        clientId: client.clientId,
        source: client.provenance.source,
        trusted: client.trust.trusted,
      },
      'authorization started',
    );
    return await authorize(context, request, params, client, authorization);
  } catch (error) {
    if (!(error instanceof AuthorizationRefusal)) throw error;
    logger.info(
      {
        event: 'authorization.refused',
        reason: error.reason,
        error: error.oauth.error,
        clientId: client.clientId,
      },
      'authorization refused',
    );
    return authorizationErrorRedirect(redirectUri, options.issuer, error.oauth, stateToEcho(params));
  }
}
