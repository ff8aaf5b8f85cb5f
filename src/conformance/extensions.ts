/**
 * The conformance suite's extension scenarios that involve no user: OAuth client credentials
 * (SEP-1046, with `client_secret_basic` or `private_key_jwt`), enterprise-managed authorization
 * (SEP-990: an RFC 8693 exchange of the IdP's ID token for an ID-JAG at the enterprise IdP, then
 * the RFC 7523 jwt-bearer grant at the authorization server, both by `signInWithIdJag` of
 * mcp-cimd/client) and workload identity (SEP-1933: the jwt-bearer grant with a workload JWT).
 * They run on `@modelcontextprotocol/client` 2.x: except for enterprise-managed authorization,
 * its transport obtains the token when the server answers 401.
 *
 * @module
 */
import type { OAuthClientProvider } from '@modelcontextprotocol/client';
import { signInWithIdJag } from '../client/enterprise.js';
import { exerciseAndClose } from './exercise.js';

/** The scenarios this module runs. */
export const EXTENSION_SCENARIOS = [
  'auth/client-credentials-basic',
  'auth/client-credentials-jwt',
  'auth/enterprise-managed-authorization',
  'auth/wif-jwt-bearer',
] as const;

const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

type Sdk2 = typeof import('@modelcontextprotocol/client');

function text(context: Record<string, unknown>, name: string): string {
  const value = context[name];
  if (typeof value !== 'string' || value === '') {
    throw new Error(`MCP_CONFORMANCE_CONTEXT has no ${name}`);
  }
  return value;
}

/**
 * A provider for the jwt-bearer grant with a workload identity JWT (RFC 7523 §2.1): no browser,
 * no registration, no client secret; one token request, and an error is final (no retry, no
 * other grant).
 */
class WorkloadIdentityProvider implements OAuthClientProvider {
  readonly #clientId: string;
  readonly #assertion: string;
  #tokens: Parameters<OAuthClientProvider['saveTokens']>[0] | undefined;

  constructor(clientId: string, assertion: string) {
    this.#clientId = clientId;
    this.#assertion = assertion;
  }

  get redirectUrl(): undefined {
    return undefined;
  }

  get clientMetadata() {
    return {
      redirect_uris: [],
      grant_types: [JWT_BEARER_GRANT],
      token_endpoint_auth_method: 'none',
      client_name: 'mcp-cimd conformance workload',
    };
  }

  clientInformation() {
    return { client_id: this.#clientId };
  }

  tokens() {
    return this.#tokens;
  }

  saveTokens(tokens: Parameters<OAuthClientProvider['saveTokens']>[0]): void {
    this.#tokens = tokens;
  }

  redirectToAuthorization(): void {
    throw new Error('a workload has no browser: the jwt-bearer grant needs no authorization request');
  }

  saveCodeVerifier(): void {}

  codeVerifier(): string {
    throw new Error('a workload has no PKCE verifier');
  }

  prepareTokenRequest(scope?: string): URLSearchParams {
    const params = new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion: this.#assertion });
    if (scope !== undefined && scope !== '') params.set('scope', scope);
    return params;
  }
}

/** The provider a scenario needs, from its context. */
function providerFor(sdk: Sdk2, scenario: string, context: Record<string, unknown>): OAuthClientProvider {
  const clientId = text(context, 'client_id');
  switch (scenario) {
    case 'auth/client-credentials-basic':
      return new sdk.ClientCredentialsProvider({ clientId, clientSecret: text(context, 'client_secret') });
    case 'auth/client-credentials-jwt':
      return new sdk.PrivateKeyJwtProvider({
        clientId,
        privateKey: text(context, 'private_key_pem'),
        algorithm: text(context, 'signing_algorithm'),
      });
    case 'auth/wif-jwt-bearer':
      return new WorkloadIdentityProvider(clientId, text(context, 'valid_jwt'));
    default:
      throw new Error(`no extension provider for ${scenario}`);
  }
}

/** True when `scenario` is one this module runs. */
export function isExtensionScenario(scenario: string | undefined): boolean {
  return (EXTENSION_SCENARIOS as readonly (string | undefined)[]).includes(scenario);
}

/**
 * Runs an extension scenario against `serverUrl`: connect with the scenario's provider, list
 * the tools and call `test-tool` when there is one.
 */
export async function runExtensionScenario(
  serverUrl: string,
  scenario: string,
  context: Record<string, unknown>,
  clientInfo: { name: string; version: string },
): Promise<void> {
  const sdk = await import('@modelcontextprotocol/client');
  const transport =
    scenario === 'auth/enterprise-managed-authorization'
      ? new sdk.StreamableHTTPClientTransport(new URL(serverUrl), {
          fetch: await enterpriseFetch(serverUrl, context),
        })
      : new sdk.StreamableHTTPClientTransport(new URL(serverUrl), {
          authProvider: providerFor(sdk, scenario, context),
        });
  const client = new sdk.Client(clientInfo);
  await client.connect(transport);
  await exerciseAndClose(client);
}

/**
 * Enterprise-managed authorization: the ID-JAG from the scenario's IdP for the user's ID token,
 * exchanged at the authorization server (client_secret_basic, the scenario's credentials); a
 * fetch that sends the access token.
 */
async function enterpriseFetch(
  serverUrl: string,
  context: Record<string, unknown>,
): Promise<(url: string | URL, init?: RequestInit) => Promise<Response>> {
  const idpSecret = context.idp_client_secret;
  const { tokens } = await signInWithIdJag({
    serverUrl,
    idToken: text(context, 'idp_id_token'),
    idp: {
      tokenEndpoint: text(context, 'idp_token_endpoint'),
      clientId: text(context, 'idp_client_id'),
      ...(typeof idpSecret === 'string' ? { clientSecret: idpSecret } : {}),
    },
    client: { clientId: text(context, 'client_id'), clientSecret: text(context, 'client_secret') },
  });
  return (url, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${tokens.access_token}`);
    return fetch(url, { ...init, headers });
  };
}
