/**
 * Client authentication at the token and revocation endpoints, exactly as the client's metadata
 * says (PKJ-16, CIMD-AS-18): a `private_key_jwt` client proves itself with a client assertion on
 * every request, a `none` (public) client only names itself with `client_id`. Shared secrets are
 * never accepted: CIMD forbids them (CIMD-DOC-05, -06), so a `client_secret` parameter or an
 * `Authorization` header is refused rather than ignored.
 *
 * @module
 */
import { claimedClientId } from '../auth/assertion-params.js';
import type { VerifiedClientAssertion, VerifyAssertionOptions } from '../auth/private-key-jwt.js';
import type { ServerContext } from '../authorization-server/context.js';
import type { ResolvedClient } from '../clients/types.js';
import type { VerifiedDpopProof } from '../dpop/proof.js';
import type { OAuthParams } from '../http/params.js';
import { InvalidClientError, toOAuthError } from '../oauth-errors.js';

/** A client that passed authentication. */
export interface AuthenticatedClient {
  /** The resolved client (CIMD document or registration). */
  client: ResolvedClient;
  /** The verified assertion, for a `private_key_jwt` client (its key thumbprint binds refresh tokens). */
  assertion?: VerifiedClientAssertion;
  /** The request's verified DPoP proof (RFC 9449), when it had one: its key binds the tokens. */
  dpop?: VerifiedDpopProof;
}

/** Parameters that only a `private_key_jwt` client may send. */
const ASSERTION_PARAMETERS = ['client_assertion', 'client_assertion_type'] as const;

/**
 * Refuses every shared-secret way of authenticating: an `Authorization` header (HTTP Basic or
 * anything else: the token endpoint takes credentials only in the body) and a `client_secret`
 * parameter.
 *
 * @throws InvalidClientError (401).
 */
export function refuseSharedSecrets(request: Request, params: OAuthParams): void {
  const authorization = request.headers.get('authorization');
  if (authorization !== null) {
    const basic = /^\s*basic(\s|$)/i.test(authorization);
    throw new InvalidClientError(
      basic
        ? 'HTTP Basic client authentication uses a shared secret, which this server does not accept (CIMD clients have none); authenticate with private_key_jwt or, for a public client, send client_id in the body'
        : 'the Authorization header is not accepted here; send client_id (public clients) or client_assertion (private_key_jwt) in the request body',
    );
  }
  if (params.has('client_secret')) {
    throw new InvalidClientError(
      'client_secret is not accepted: this server issues no client secrets and CIMD forbids them; authenticate with private_key_jwt or, for a public client, send client_id only',
    );
  }
}

async function resolve(context: ServerContext, clientId: string): Promise<ResolvedClient> {
  try {
    return await context.registry.resolveClient(clientId);
  } catch (error) {
    throw toOAuthError(error);
  }
}

/**
 * Authenticates the client of a token or revocation request whose form parameters are `params`.
 * The client is named by `client_id`, else by the (not yet verified) `iss` of the client
 * assertion; it is resolved through the registry (a failure is `invalid_client`, or
 * `temporarily_unavailable` when its host's fetch budget is spent). Then:
 *
 * - `private_key_jwt`: the assertion is REQUIRED and verified (`context.assertions.verify`:
 *   type, algorithm, claims, signature against the published keys, single-use `jti`; with
 *   `options.deferJtiRecord` the `jti` is left for the caller to record, see `PendingJti`); a
 *   confidential client never falls back to `none` (PKJ-16, CIMD-AS-18);
 * - `none`: `client_id` is required and no assertion may be sent.
 *
 * Call {@link refuseSharedSecrets} first.
 *
 * @throws InvalidClientError (401) when the client cannot be identified, resolved or
 *   authenticated; InvalidRequestError for a repeated assertion parameter;
 *   TemporarilyUnavailableError (503) when the client's document cannot be fetched right now.
 */
export async function authenticateClient(
  context: ServerContext,
  params: OAuthParams,
  options?: VerifyAssertionOptions,
): Promise<AuthenticatedClient> {
  const search = params.toRecord();
  const clientId = claimedClientId(search);
  if (clientId === undefined) {
    throw new InvalidClientError(
      'the request does not name its client: send client_id (public clients) or a client_assertion (private_key_jwt clients)',
    );
  }
  const client = await resolve(context, clientId);
  if (client.authMethod === 'private_key_jwt') {
    const assertion = await context.assertions.verify(client, search, options);
    return { client, assertion };
  }
  if (ASSERTION_PARAMETERS.some((name) => params.has(name))) {
    throw new InvalidClientError(
      'this client is public (token_endpoint_auth_method "none"), so it must not send a client_assertion; send client_id only, or declare private_key_jwt and keys in its metadata',
    );
  }
  if (params.get('client_id') === undefined) {
    throw new InvalidClientError('a public client must send its client_id');
  }
  return { client };
}
