/**
 * The first steps of an authorization request, whose failures are shown to the user on an error
 * page and NEVER redirected (OAuth 2.1 §4.1.2.1, CIMD-AS-11, RURI-08, MCP-AS-10): resolving the
 * client, then validating the redirect URI against its registration.
 *
 * @module
 */
import { isCompleteRedirectUri, matchRedirectUri } from '../../document/redirect-uri.js';
import type { ServerContext } from '../authorization-server/context.js';
import { echoId } from '../clients/errors.js';
import type { ResolvedClient } from '../clients/types.js';
import type { OAuthParams } from '../http/params.js';
import { InvalidRequestError, type OAuthError, toOAuthError } from '../oauth-errors.js';

/** A client and the redirect URI to answer it at. */
export interface ValidatedClient {
  client: ResolvedClient;
  /** The redirect URI as requested (with its runtime port), or the only registered one. */
  redirectUri: string;
}

/** Why the request cannot even be answered by redirect. */
export interface ClientStepFailure {
  /** A stable reason code for logs. */
  reason: string;
  /** The error to show on the page. */
  error: OAuthError;
  /** The `client_id` asked for, when there was one (shortened). */
  clientId?: string;
}

/** The outcome of {@link validateClientAndRedirect}. */
export type ClientStep = ({ ok: true } & ValidatedClient) | ({ ok: false } & ClientStepFailure);

/**
 * Resolves `client_id` through the registry (a URL: the CIMD document; otherwise a registered
 * client) and matches `redirect_uri` with the one matcher (exact, loopback on any port:
 * RURI-02..05). Without `redirect_uri` the client must have exactly one registered (RURI-07).
 * Failures carry the resolution error's safe message.
 */
export async function validateClientAndRedirect(
  context: ServerContext,
  params: OAuthParams,
): Promise<ClientStep> {
  const clientId = params.get('client_id');
  if (clientId === undefined) {
    return {
      ok: false,
      reason: 'client_id_missing',
      error: new InvalidRequestError('the request has no client_id, so it cannot be answered'),
    };
  }
  const shown = echoId(clientId);
  let client: ResolvedClient;
  try {
    client = await context.registry.resolveClient(clientId);
  } catch (error) {
    const oauth = toOAuthError(error);
    const code = (error as { code?: unknown }).code;
    return {
      ok: false,
      reason: typeof code === 'string' ? code : 'client_resolution_failed',
      error: oauth,
      clientId: shown,
    };
  }
  const requested = params.get('redirect_uri');
  if (requested === undefined) {
    const [only, ...others] = client.redirectUris;
    if (only === undefined || others.length > 0) {
      return {
        ok: false,
        reason: 'redirect_uri_missing',
        error: new InvalidRequestError(
          'the request has no redirect_uri, and the application registers several: it must say which one to use',
        ),
        clientId: shown,
      };
    }
    if (!isCompleteRedirectUri(only)) {
      return {
        ok: false,
        reason: 'redirect_uri_incomplete',
        error: new InvalidRequestError(
          'the request has no redirect_uri, and the one the application registers leaves a part (such as the loopback port) to the request: it must name the redirect_uri',
        ),
        clientId: shown,
      };
    }
    return allowedByServer(context, client, only, shown);
  }
  const match = matchRedirectUri(requested, client.redirectUris);
  if (!match.ok || !URL.canParse(requested)) {
    return {
      ok: false,
      reason: 'redirect_uri_mismatch',
      error: new InvalidRequestError(
        `the redirect_uri is not one the application registered, so this server will not send you there (${echoId(match.ok ? 'it is not a valid URL' : match.reason)})`,
      ),
      clientId: shown,
    };
  }
  return allowedByServer(context, client, requested, shown);
}

/**
 * The server-wide redirect URI patterns (`clientPolicy.allowedRedirectUris`) narrow the client's
 * list: a redirect URI outside them is refused on the error page, never redirected to.
 */
function allowedByServer(
  context: ServerContext,
  client: ResolvedClient,
  redirectUri: string,
  shown: string,
): ClientStep {
  if (context.options.clientPolicy.redirectUris.allows(redirectUri)) return { ok: true, client, redirectUri };
  return {
    ok: false,
    reason: 'redirect_uri_not_allowed_by_server',
    error: new InvalidRequestError(
      `the redirect_uri ${echoId(redirectUri)} is registered by the application, but this server only sends browsers to redirect URIs its operator allows`,
    ),
    clientId: shown,
  };
}
