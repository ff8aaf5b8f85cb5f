/**
 * What an approval does once the user has decided (on the consent page, or by coming back from
 * signing in after consent): the client must still be the one the user saw, and the approval is
 * remembered for that user. Failures are described for the error page.
 *
 * @module
 */
import type { ServerContext } from '../authorization-server/context.js';
import { clientIdentityOf } from '../clients/identity.js';
import type { ResolvedClient } from '../clients/types.js';
import { AccessDeniedError, InvalidRequestError, type OAuthError, toOAuthError } from '../oauth-errors.js';
import type { Interaction } from './interaction.js';

/** A refused decision: the reason code for logs, the error and the page's status. */
export interface ConsentFailure {
  reason: string;
  error: OAuthError;
  status: number;
}

/** What every "start again" page ends with. */
export const START_AGAIN = 'Start again from the application.';

/** A {@link ConsentFailure}: `access_denied` for 403, else `invalid_request`. */
export function failure(reason: string, message: string, status = 400): ConsentFailure {
  const error = status === 403 ? new AccessDeniedError(message) : new InvalidRequestError(message);
  return { reason, error, status };
}

/** The client as the user saw it, after {@link checkClientUnchanged}. */
export interface UnchangedClient {
  client: ResolvedClient;
}

/** The client still resolves to the document the user saw (same fingerprint), or why not. */
export async function checkClientUnchanged(
  context: ServerContext,
  interaction: Interaction,
): Promise<ConsentFailure | UnchangedClient> {
  try {
    const client = await context.registry.resolveClient(interaction.clientId);
    if (client.fingerprint === interaction.clientFingerprint) return { client };
    return failure(
      'client_changed',
      `The application's registration changed while you were deciding. ${START_AGAIN}`,
    );
  } catch (error) {
    return { reason: 'client_unresolved', error: toOAuthError(error), status: 400 };
  }
}

/**
 * Reports `consent.granted` and remembers the approval by `userId` (default: the interaction's
 * user; the user who signed in after consenting otherwise), merged with an earlier one for the
 * same document, unless remembering is off. The consent keeps `client`'s identity fields, so that
 * a later consent page can say what changed since.
 */
export async function rememberApproval(
  context: ServerContext,
  interaction: Interaction,
  client: ResolvedClient,
  userId: string = interaction.userId,
): Promise<void> {
  context.emit({
    type: 'consent.granted',
    clientId: interaction.clientId,
    sub: userId,
    scopes: interaction.scopes,
    resources: interaction.resources,
    fingerprint: interaction.clientFingerprint,
  });
  const { rememberForMs } = context.options.consent;
  if (rememberForMs === 0) return;
  const { store } = context;
  const earlier = await store.getConsent(userId, interaction.clientId);
  const same = earlier?.clientFingerprint === interaction.clientFingerprint;
  const now = context.now();
  await store.saveConsent({
    userId,
    clientId: interaction.clientId,
    scopes: [...new Set([...(same ? earlier.scopes : []), ...interaction.scopes])],
    resources: [...new Set([...(same ? earlier.resources : []), ...interaction.resources])],
    clientFingerprint: interaction.clientFingerprint,
    grantedAt: now,
    expiresAt: now + rememberForMs,
    clientIdentity: await clientIdentityOf(client.metadata),
  });
}
