/**
 * The OAuth shapes the client provider exchanges with the MCP SDK's `auth()`, written out
 * structurally so that the provider module never imports the SDK (it stays usable with SDK 1.x
 * and 2.x, whose types are zod-inferred). Wire members keep the specs' snake_case.
 *
 * @module
 */

/** A token response as stored (RFC 6749 §5.1), stamped by the SDK with the issuing `issuer`. */
export interface OAuthTokensLike {
  access_token: string;
  token_type: string;
  id_token?: string | undefined;
  expires_in?: number | undefined;
  scope?: string | undefined;
  refresh_token?: string | undefined;
  /** The authorization server the tokens came from (the SDK adds it). */
  issuer?: string | undefined;
}

/** Client information: a `client_id` and, for confidential DCR or pre-registered clients, a secret. */
export interface ClientInformationLike {
  client_id: string;
  client_secret?: string | undefined;
  client_id_issued_at?: number | undefined;
  client_secret_expires_at?: number | undefined;
  /** The authorization server this client information belongs to (the SDK binds it). */
  issuer?: string | undefined;
  /** Returned by a DCR registration: the method the client must use at the token endpoint. */
  token_endpoint_auth_method?: string | undefined;
  /** Returned by a DCR registration: the redirect URIs that were registered. */
  redirect_uris?: string[] | undefined;
}

/** Client metadata as sent in a Dynamic Client Registration request (RFC 7591 §2). */
export interface RegistrationMetadataLike {
  redirect_uris: string[];
  token_endpoint_auth_method?: string;
  grant_types?: string[];
  response_types?: string[];
  client_name?: string;
  client_uri?: string;
  logo_uri?: string;
  scope?: string;
  contacts?: string[];
  tos_uri?: string;
  policy_uri?: string;
  jwks_uri?: string;
  jwks?: unknown;
  software_id?: string;
  software_version?: string;
  /** OpenID Connect DCR `application_type`; MCP asks clients to send it (SEP-837). */
  application_type?: string;
}

/**
 * The authorization server metadata members the provider reads (RFC 8414 §2, RFC 9207, CIMD);
 * other members pass through untouched.
 */
export interface AuthorizationServerMetadataLike {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  response_types_supported: string[];
  token_endpoint_auth_methods_supported?: string[] | undefined;
  scopes_supported?: string[] | undefined;
  token_endpoint_auth_signing_alg_values_supported?: string[] | undefined;
  code_challenge_methods_supported?: string[] | undefined;
  authorization_response_iss_parameter_supported?: boolean | undefined;
  client_id_metadata_document_supported?: boolean | undefined;
  registration_endpoint?: string | undefined;
  [member: string]: unknown;
}

/** Protected resource metadata (RFC 9728) as discovery found it; passed through untouched. */
export interface ResourceMetadataLike {
  resource: string;
  [member: string]: unknown;
}

/** What the SDK's `auth()` learnt by discovery (PRM and AS metadata); kept for one session. */
export interface DiscoveryStateLike {
  /** The authorization server URL discovery used; the SDK's binding key for stored credentials. */
  authorizationServerUrl: string;
  authorizationServerMetadata?: AuthorizationServerMetadataLike;
  resourceMetadata?: ResourceMetadataLike;
  resourceMetadataUrl?: string;
}

/** What `invalidateCredentials` may be asked to forget. */
export type InvalidationScope = 'all' | 'client' | 'tokens' | 'verifier' | 'discovery';
