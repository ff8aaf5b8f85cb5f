/**
 * A new interaction for an authorization request (the consent page, or the sign-in that follows
 * consent), and the cookie that binds it to the browser.
 *
 * @module
 */
import type { ServerContext } from '../authorization-server/context.js';
import type { ResolvedClient } from '../clients/types.js';
import type { AuthenticatedUser } from '../login/authenticator.js';
import { consentCookie } from './csrf.js';
import { type Interaction, saveInteraction } from './interaction.js';
import type { AuthorizationRequest } from './validate-request.js';

/**
 * Saves a new interaction for `authorization` by `user`; without a user, one whose user signs in
 * after consenting (`signInRequired`, with the `prompt` and `login_hint` to forward).
 */
export function newInteraction(
  context: ServerContext,
  client: ResolvedClient,
  authorization: AuthorizationRequest,
  user: AuthenticatedUser | undefined,
): Promise<Interaction> {
  const prompt = [...authorization.prompt].filter((value) => value !== 'consent').join(' ');
  return saveInteraction(
    context.store,
    {
      clientId: client.clientId,
      redirectUri: authorization.redirectUri,
      ...(authorization.state === undefined ? {} : { state: authorization.state }),
      codeChallenge: authorization.codeChallenge,
      resources: authorization.resources,
      scopes: authorization.scopes,
      clientFingerprint: client.fingerprint,
      createdAt: context.now(),
      ...(user === undefined
        ? {
            userId: '',
            authTime: 0,
            signInRequired: true,
            ...(prompt === '' ? {} : { prompt }),
            ...(authorization.loginHint === undefined ? {} : { loginHint: authorization.loginHint }),
          }
        : {
            userId: user.userId,
            authTime: user.authTime,
            ...(user.sessionId === undefined ? {} : { sessionId: user.sessionId }),
            ...(user.name === undefined ? {} : { userName: user.name }),
            ...(user.email === undefined ? {} : { userEmail: user.email }),
          }),
    },
    context.options.interactionLifetimeMs,
  );
}

/** The `Set-Cookie` value binding `interaction` to this browser for the interaction's lifetime. */
export function interactionCookie(context: ServerContext, interaction: Interaction): string {
  const maxAge = Math.ceil(context.options.interactionLifetimeMs / 1000);
  return consentCookie(context.options.issuer, interaction.id, interaction.csrfToken, maxAge);
}
