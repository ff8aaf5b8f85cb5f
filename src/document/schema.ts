/**
 * The zod schema of a client metadata document (RFC 7591 §2 members, the CIMD `client_id`, and
 * what MCP §5.1.1 requires). It checks types only; what the values mean is the linter's job
 * (`lintClientMetadata`). Unknown members are kept, never fatal (CIMD-01 §4.1 allows them).
 *
 * @module
 */

import { z } from 'zod';

/** A public JWK as far as the schema cares: a `kty`, and whatever else the key has. */
const jwkSchema = z.looseObject({
  kty: z.string(),
  kid: z.string().optional(),
  use: z.string().optional(),
  alg: z.string().optional(),
  crv: z.string().optional(),
});

/**
 * The zod (v4) schema of a CIMD client metadata document. Members are snake_case as on the wire.
 * Required: `client_id`, `client_name` and a non-empty `redirect_uris` (MCP §5.1.1). Every
 * other registered member is optional and type-checked. Unknown members pass through and are
 * kept in the parsed value.
 */
export const clientMetadataSchema = z.looseObject({
  /** The https URL the document is served at (CIMD-01 §4.1). */
  client_id: z.string(),
  /** The name shown to users. */
  client_name: z.string(),
  /** The registered redirect URIs, matched exactly (loopback: any port). */
  redirect_uris: z.array(z.string()).min(1),
  /** `none` or `private_key_jwt`; CIMD forbids shared-secret methods. */
  token_endpoint_auth_method: z.string().optional(),
  /** The JWS algorithm of `private_key_jwt` assertions, e.g. `ES256`. */
  token_endpoint_auth_signing_alg: z.string().optional(),
  /** OAuth grant types, e.g. `["authorization_code", "refresh_token"]`. */
  grant_types: z.array(z.string()).optional(),
  /** OAuth response types; `["code"]` for MCP. */
  response_types: z.array(z.string()).optional(),
  /** Space-separated scope values the client may ask for. */
  scope: z.string().optional(),
  /** A web page about the client. */
  client_uri: z.string().optional(),
  /** The client's logo. */
  logo_uri: z.string().optional(),
  /** The client's terms of service. */
  tos_uri: z.string().optional(),
  /** The client's privacy policy. */
  policy_uri: z.string().optional(),
  /** Where the client's public JWK Set is served (exclusive with `jwks`). */
  jwks_uri: z.string().optional(),
  /** The client's public JWK Set, inline (exclusive with `jwks_uri`). */
  jwks: z.looseObject({ keys: z.array(jwkSchema) }).optional(),
  /** Ways to contact the people responsible for the client, usually e-mail addresses. */
  contacts: z.array(z.string()).optional(),
  /** `native` or `web` (OpenID Connect Dynamic Client Registration). */
  application_type: z.string().optional(),
  /** A stable identifier of the client software. */
  software_id: z.string().optional(),
  /** The version of the client software. */
  software_version: z.string().optional(),
  /** A signed JWT asserting the metadata (RFC 7591 §2.3). */
  software_statement: z.string().optional(),
});

/** A parsed client metadata document: the registered members, typed, plus any unknown ones. */
export type ClientMetadata = z.infer<typeof clientMetadataSchema>;

/** A public JWK as the schema types it. */
export type ClientMetadataJwk = z.infer<typeof jwkSchema>;

/** What each registered member must hold, for messages about wrong types. */
export const MEMBER_TYPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  client_id: 'a string: the https URL this document is served at',
  client_name: 'a string',
  redirect_uris: 'a non-empty array of URI strings',
  token_endpoint_auth_method: 'a string ("none" or "private_key_jwt")',
  token_endpoint_auth_signing_alg: 'a string such as "ES256"',
  grant_types: 'an array of strings',
  response_types: 'an array of strings',
  scope: 'a single string of space-separated scopes',
  client_uri: 'a URL string',
  logo_uri: 'a URL string',
  tos_uri: 'a URL string',
  policy_uri: 'a URL string',
  jwks_uri: 'a URL string',
  jwks: 'an object {"keys": [...]}',
  contacts: 'an array of strings',
  application_type: 'a string ("native" or "web")',
  software_id: 'a string',
  software_version: 'a string',
  software_statement: 'a string (a JWT)',
};
