/**
 * The demo client's token request (`authorization_code` grant with the PKCE verifier and the
 * resource), authenticated as its document says: `none`, or a `private_key_jwt` assertion.
 *
 * @module
 */
import type { PendingAuthorization } from './authorization-requests.js';
import { JWT_BEARER_ASSERTION_TYPE, signClientAssertion } from './client-assertion.js';

/** What the token endpoint answered. */
export interface TokenExchangeResult {
  /** The HTTP status. */
  status: number;
  /** The JSON body (a token response, or an OAuth error), or the text when it was not JSON. */
  body: Record<string, unknown> | string;
}

/** Where the token request goes. */
export interface TokenEndpoint {
  /** The issuer (the assertion's audience). */
  issuer: string;
  /** The token endpoint URL. */
  url: string;
  /** The `resource` the token is for. */
  resource: string;
}

/** Exchanges `code` for tokens for the request `pending`. Never throws for an OAuth error. */
export async function exchangeCode(
  endpoint: TokenEndpoint,
  pending: PendingAuthorization,
  code: string,
): Promise<TokenExchangeResult> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: pending.redirectUri,
    code_verifier: pending.codeVerifier,
    client_id: pending.client.clientId,
    resource: endpoint.resource,
  });
  if (pending.client.document.token_endpoint_auth_method === 'private_key_jwt') {
    form.set('client_assertion_type', JWT_BEARER_ASSERTION_TYPE);
    form.set('client_assertion', await signClientAssertion(pending.client, endpoint.issuer));
  }
  const response = await fetch(endpoint.url, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  try {
    const json: unknown = JSON.parse(text);
    if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
      return { status: response.status, body: json as Record<string, unknown> };
    }
  } catch {
    // not JSON: reported as text
  }
  return { status: response.status, body: text.slice(0, 2000) };
}
