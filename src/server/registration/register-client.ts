/**
 * `POST /register` (RFC 7591 §3): validates the client metadata, assigns a `client_id` that never
 * looks like a CIMD URL (CIMD-AS-27), saves the client in the store, and answers `201` with the
 * registered metadata. Registered clients then resolve through the client registry like any
 * other. No initial access token is required and no client secret is ever issued.
 *
 * @module
 */
import type { ServerContext } from '../authorization-server/context.js';
import { generateClientId } from '../clients/client-id.js';
import { wireError } from '../grants/wire-error.js';
import { noStoreJson, oauthErrorResponse } from '../http/responses.js';
import { InvalidRedirectUriError } from '../oauth-errors.js';
import { readJsonBody } from './json-body.js';
import { validateRegistration } from './validate-registration.js';

/**
 * The server-wide redirect URI patterns (`clientPolicy.allowedRedirectUris`) narrow what may be
 * registered: every redirect URI must match one (`invalid_redirect_uri` otherwise).
 */
function checkAllowedRedirectUris(context: ServerContext, uris: unknown): void {
  const patterns = context.options.clientPolicy.redirectUris;
  const outside = (Array.isArray(uris) ? uris : []).find(
    (uri) => typeof uri === 'string' && !patterns.allows(uri),
  );
  if (outside !== undefined) {
    throw new InvalidRedirectUriError(
      `the redirect URI ${JSON.stringify(String(outside).slice(0, 200))} is not one this server allows; allowed patterns: ${patterns.patterns.join(' ')}`,
    );
  }
}

/** Handles a registration request; see the module documentation and `validateRegistration`. */
export async function handleRegistrationRequest(context: ServerContext, request: Request): Promise<Response> {
  try {
    const body = await readJsonBody(request);
    const metadata = validateRegistration(body, {
      scopesSupported: context.options.scopesSupported,
      allowPrivateNetwork: context.options.allowPrivateNetwork,
      requireApplicationType: context.options.requireApplicationType,
    });
    checkAllowedRedirectUris(context, metadata.redirect_uris);
    const clientId = generateClientId();
    const createdAt = context.now();
    await context.store.saveClient({ clientId, metadata, createdAt });
    context.logger.info(
      {
        event: 'client_registered',
        clientId,
        authMethod: metadata.token_endpoint_auth_method,
        clientName: metadata.client_name,
      },
      'a client registered',
    );
    return noStoreJson(
      { client_id: clientId, client_id_issued_at: Math.floor(createdAt / 1000), ...metadata },
      201,
    );
  } catch (error) {
    const oauth = wireError(context, error, 'register');
    context.logger.info({ event: 'registration_refused', error: oauth.error }, oauth.message);
    return oauthErrorResponse(oauth);
  }
}
