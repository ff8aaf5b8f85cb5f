/**
 * `GET /authorize` and `POST /authorize`: the authorization request, in the order that keeps
 * unvalidated redirect URIs out of reach: the client and its redirect URI first (failures on an
 * error page), then every other parameter (failures redirected with `state` and `iss`), sign-in,
 * and the consent decision: skip (code and redirect) or the consent page with a fresh interaction.
 *
 * @module
 */
import type { ConsentRecord } from '../../store/store.js';
import type { ServerContext } from '../authorization-server/context.js';
import type { ResolvedClient } from '../clients/types.js';
import { formParams, type OAuthParams, queryParams } from '../http/params.js';
import type { AuthenticatedUser } from '../login/authenticator.js';
import { ConsentRequiredError, LoginRequiredError, toOAuthError } from '../oauth-errors.js';
import { checkClientPolicy, policyError } from '../policy/enforce.js';
import { renderConsentPage } from '../ui/consent-page.js';
import { validateClientAndRedirect } from './client-step.js';
import { issueCodeAndRedirect } from './code.js';
import { decideConsent } from './consent-decision.js';
import { changesSinceConsent, consentViewOf } from './consent-view.js';
import { authorizationErrorPage } from './error-page.js';
import { logoPathFor } from './logo.js';
import { interactionCookie, newInteraction } from './new-interaction.js';
import { promptAfterLogin } from './prompt.js';
import { authorizationErrorRedirect } from './redirect.js';
import { AuthorizationRefusal, refuse } from './refusal.js';
import { stateToEcho } from './request-checks.js';
import { continueToSignIn } from './sign-in-return.js';
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
  const loginHint = params.get('login_hint');
  const result = await context.authenticator.authenticate(request, {
    returnTo: returnToUrl(context, params, authorization),
    ...(prompt === undefined ? {} : { prompt }),
    ...(loginHint === undefined ? {} : { loginHint }),
  });
  if (result === undefined) refuse('login_required', new LoginRequiredError('the user is not signed in'));
  return result;
}

/** Saves the interaction and renders the consent page, with its CSRF cookie. */
async function showConsentPage(
  context: ServerContext,
  client: ResolvedClient,
  authorization: AuthorizationRequest,
  user: AuthenticatedUser | undefined,
  remembered?: ConsentRecord,
): Promise<Response> {
  const interaction = await newInteraction(context, client, authorization, user);
  const logoPath = await logoPathFor(context, client);
  const changes = await changesSinceConsent(remembered, client);
  return renderConsentPage(
    consentViewOf({
      client,
      redirectUri: authorization.redirectUri,
      scopes: authorization.scopes,
      resources: authorization.resources,
      ...(user === undefined
        ? { signInWith: context.authenticator.displayName ?? context.authenticator.name }
        : { user }),
      formAction: context.endpoints.consent.path,
      interactionId: interaction.id,
      csrfToken: interaction.csrfToken,
      ...(logoPath === undefined ? {} : { logoPath }),
      ...(changes === undefined ? {} : { changesSinceConsent: changes }),
    }),
    interactionCookie(context, interaction),
  );
}

/**
 * Consent before sign-in (an upstream identity provider, MCP-AS-23): nobody is signed in here
 * (or `prompt=login` asks for a new sign-in), so our consent page comes first, and only an
 * approval sends the browser to the identity provider. A trusted client with
 * `consent.skipForTrusted` goes straight there.
 */
async function consentThenSignIn(
  context: ServerContext,
  request: Request,
  client: ResolvedClient,
  authorization: AuthorizationRequest,
): Promise<Response> {
  const fields = { clientId: client.clientId, authenticator: context.authenticator.name };
  const skip =
    !authorization.prompt.has('consent') && client.trust.trusted && context.options.consent.skipForTrusted;
  if (!skip) {
    context.logger.info(
      { event: 'consent.shown', ...fields, reason: 'before_sign_in' },
      'consent page shown',
    );
    return showConsentPage(context, client, authorization, undefined);
  }
  context.logger.info(
    { event: 'consent.skipped', ...fields, reason: 'trusted_client' },
    'trusted client: on to sign-in without the consent page',
  );
  const interaction = await newInteraction(context, client, authorization, undefined);
  const response = await continueToSignIn(context, request, interaction);
  response.headers.append('set-cookie', interactionCookie(context, interaction));
  return response;
}

/** The signed-in user, for an authenticator that signs in after consent: never shows anything. */
async function currentUser(
  context: ServerContext,
  request: Request,
  authorization: AuthorizationRequest,
): Promise<AuthenticatedUser | undefined> {
  if (authorization.prompt.has('login')) return undefined;
  const result = await context.authenticator.authenticate(request, {
    returnTo: context.endpoints.authorization.url,
    prompt: 'none',
  });
  return result instanceof Response ? undefined : result;
}

/** Sign-in and the consent decision for a valid request. */
async function authorize(
  context: ServerContext,
  request: Request,
  params: OAuthParams,
  client: ResolvedClient,
  authorization: AuthorizationRequest,
): Promise<Response> {
  let user: AuthenticatedUser | Response;
  if (context.authenticator.consentBeforeSignIn) {
    const current = await currentUser(context, request, authorization);
    if (current === undefined) {
      if (authorization.prompt.has('none'))
        refuse('login_required', new LoginRequiredError('the user is not signed in'));
      return consentThenSignIn(context, request, client, authorization);
    }
    user = current;
  } else {
    user = await signIn(context, request, params, authorization);
    if (user instanceof Response) return user;
  }
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
    return showConsentPage(context, client, authorization, user, remembered);
  }
  context.logger.info(
    { event: 'consent.skipped', ...fields },
    'authorization approved without the consent page',
  );
  return issueCodeAndRedirect(context, { ...authorization, clientFingerprint: client.fingerprint }, user);
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
    const refusal = await checkClientPolicy(
      context,
      client,
      authorization.resources,
      authorization.scopes,
      'authorization_code',
    );
    if (refusal !== undefined) refuse('client_policy', policyError(refusal));
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
