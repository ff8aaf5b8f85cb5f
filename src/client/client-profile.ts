/**
 * The client's identity as the provider uses it: the CIMD URL, the registered redirect URIs,
 * the token-endpoint auth method and what a Dynamic Client Registration would send. Built from
 * the published document (passed in, or fetched once) or, when the document is not fetched
 * (the conformance suite's URL is never served), from options that say the same things.
 *
 * @module
 */
import { type ClientMetadata, clientMetadataSchema } from '../document/schema.js';
import { SignInError } from './errors.js';
import type { RegistrationMetadataLike } from './oauth-types.js';

/** How a CIMD client authenticates at the token endpoint (CIMD forbids shared secrets). */
export type CimdAuthMethod = 'none' | 'private_key_jwt';

/** The resolved identity of a CIMD client. */
export interface ClientProfile {
  /** The document URL: the `client_id` when the authorization server supports CIMD. */
  readonly clientMetadataUrl: string;
  /** The redirect URIs the document registers; the runtime redirect must match one. */
  readonly redirectUris: readonly string[];
  /** `token_endpoint_auth_method` of the document. */
  readonly authMethod: CimdAuthMethod;
  /** `token_endpoint_auth_signing_alg` of the document, when it names one. */
  readonly signingAlg: string | undefined;
  /** What a Dynamic Client Registration sends besides the redirect URIs (kept consistent with the document). */
  readonly registration: Omit<RegistrationMetadataLike, 'redirect_uris'>;
}

/** Options that stand in for the document when it is not fetched. */
export interface ProfileOptions {
  /** The registered redirect URIs (at least one loopback URI). */
  redirectUris: readonly string[];
  /** The token-endpoint auth method the document declares. Default `none`. */
  tokenEndpointAuthMethod?: CimdAuthMethod;
  /** The client name sent in a Dynamic Client Registration. Default `mcp-cimd client`. */
  clientName?: string;
  /** Scopes for the registration and the last-resort scope of the authorization request. */
  scope?: string;
}

const DEFAULT_CLIENT_NAME = 'mcp-cimd client';

function authMethodOf(value: string | undefined, where: string): CimdAuthMethod {
  if (value === undefined || value === 'none') return 'none';
  if (value === 'private_key_jwt') return 'private_key_jwt';
  throw new SignInError(
    'ERR_SIGNIN_CLIENT_CONFIG',
    `${where} token_endpoint_auth_method is ${JSON.stringify(value)}; a CIMD client uses "none" or "private_key_jwt" (shared secrets are forbidden). Fix the document.`,
  );
}

function checkRedirectUris(uris: readonly unknown[], where: string): string[] {
  if (uris.length === 0 || !uris.every((uri) => typeof uri === 'string' && uri !== '')) {
    throw new SignInError(
      'ERR_SIGNIN_CLIENT_CONFIG',
      `${where} redirect URIs must be a non-empty list of URI strings (e.g. ["http://127.0.0.1/callback"]).`,
    );
  }
  return [...(uris as string[])];
}

/**
 * The profile of a published document. The document must parse as client metadata and its
 * `client_id` must equal `clientMetadataUrl` exactly (CIMD-DOC-03, MCP-C-13).
 *
 * @throws SignInError `ERR_SIGNIN_CLIENT_CONFIG` when the document is unusable.
 */
export function profileFromDocument(clientMetadataUrl: string, document: unknown): ClientProfile {
  const parsed = clientMetadataSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue === undefined ? '' : ` at ${issue.path.join('.') || '$'}`;
    throw new SignInError(
      'ERR_SIGNIN_CLIENT_CONFIG',
      `the client metadata document of ${clientMetadataUrl} is not valid${path}: ${issue?.message ?? 'unknown problem'}. Check it with cimd validate.`,
    );
  }
  const doc: ClientMetadata = parsed.data;
  if (doc.client_id !== clientMetadataUrl) {
    throw new SignInError(
      'ERR_SIGNIN_CLIENT_CONFIG',
      `the document's client_id ${JSON.stringify(doc.client_id)} is not the URL it is configured at (${clientMetadataUrl}); they must be equal, character for character.`,
    );
  }
  const authMethod = authMethodOf(doc.token_endpoint_auth_method, 'the document’s');
  const registration: ClientProfile['registration'] = {
    client_name: doc.client_name,
    token_endpoint_auth_method: authMethod,
    grant_types: doc.grant_types ?? ['authorization_code', 'refresh_token'],
    response_types: doc.response_types ?? ['code'],
    application_type: doc.application_type ?? applicationTypeFor(doc.redirect_uris),
  };
  const copy = [
    'scope',
    'client_uri',
    'logo_uri',
    'tos_uri',
    'policy_uri',
    'software_id',
    'software_version',
  ] as const;
  for (const member of copy) {
    const value = doc[member];
    if (value !== undefined) registration[member] = value;
  }
  if (doc.contacts !== undefined) registration.contacts = doc.contacts;
  if (authMethod === 'private_key_jwt') {
    if (doc.jwks_uri !== undefined) registration.jwks_uri = doc.jwks_uri;
    if (doc.jwks !== undefined) registration.jwks = doc.jwks;
  }
  return {
    clientMetadataUrl,
    redirectUris: checkRedirectUris(doc.redirect_uris, 'the document’s'),
    authMethod,
    signingAlg: doc.token_endpoint_auth_signing_alg,
    registration,
  };
}

/** The profile described by options, for a document that is not fetched. */
export function profileFromOptions(clientMetadataUrl: string, options: ProfileOptions): ClientProfile {
  const authMethod = authMethodOf(options.tokenEndpointAuthMethod, 'the configured');
  const registration: ClientProfile['registration'] = {
    client_name: options.clientName ?? DEFAULT_CLIENT_NAME,
    token_endpoint_auth_method: authMethod,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    application_type: applicationTypeFor(options.redirectUris),
  };
  if (options.scope !== undefined) registration.scope = options.scope;
  return {
    clientMetadataUrl,
    redirectUris: checkRedirectUris(options.redirectUris, 'the configured'),
    authMethod,
    signingAlg: undefined,
    registration,
  };
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * The OpenID Connect `application_type` a Dynamic Client Registration sends (SEP-837: MCP
 * clients MUST send it): `native` when a redirect URI is a loopback or private-scheme URI (RFC
 * 8252), else `web`.
 */
export function applicationTypeFor(redirectUris: readonly unknown[]): 'native' | 'web' {
  for (const uri of redirectUris) {
    if (typeof uri !== 'string') continue;
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'native';
    if (LOOPBACK_HOSTS.has(url.hostname)) return 'native';
  }
  return 'web';
}

/**
 * The body of a Dynamic Client Registration for `redirectUrl` (the runtime loopback redirect
 * URI), consistent with `profile`. SEP-837: it always names its `application_type` (the
 * document's, else derived from the redirect URI).
 */
export function registrationMetadataFor(
  profile: ClientProfile,
  redirectUrl: string,
): RegistrationMetadataLike {
  return {
    ...profile.registration,
    application_type: profile.registration.application_type ?? applicationTypeFor([redirectUrl]),
    redirect_uris: [redirectUrl],
  };
}
