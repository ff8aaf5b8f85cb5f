/**
 * Authorization server metadata (RFC 8414), also served at the OpenID discovery paths, with what
 * MCP clients look for (DISC-08): CIMD support, `none` and `private_key_jwt`, S256 only, and
 * RFC 9207 `iss` in authorization responses.
 *
 * @module
 */
import type { Hono } from 'hono';
import { CLIENT_ASSERTION_ALGORITHMS } from '../auth/assertion-algorithms.js';
import type { ServerContext } from '../authorization-server/context.js';
import { JWT_BEARER_GRANT } from '../grants/jwt-bearer.js';

/** The metadata document of the server described by `context`. */
export function authorizationServerMetadata(context: ServerContext): Record<string, unknown> {
  const { options, endpoints } = context;
  const metadata: Record<string, unknown> = {
    issuer: options.issuer,
    authorization_endpoint: endpoints.authorization.url,
    token_endpoint: endpoints.token.url,
    jwks_uri: endpoints.jwks.url,
    revocation_endpoint: endpoints.revocation.url,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: [
      'authorization_code',
      'refresh_token',
      ...(options.clientCredentials === undefined ? [] : ['client_credentials']),
      ...(options.trustedAssertionIssuers === undefined ? [] : [JWT_BEARER_GRANT]),
    ],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS],
    revocation_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
    revocation_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS],
    client_id_metadata_document_supported: options.cimdAdvertised,
    authorization_response_iss_parameter_supported: true,
    resource_indicators_supported: true,
    dpop_signing_alg_values_supported: [...options.dpop.algorithms],
  };
  if (options.registration) metadata.registration_endpoint = endpoints.registration.url;
  if (options.scopesSupported) metadata.scopes_supported = [...options.scopesSupported];
  return metadata;
}

/**
 * Serves the metadata at `/.well-known/oauth-authorization-server{path}` (RFC 8414 §3),
 * `/.well-known/openid-configuration{path}` and `{path}/.well-known/openid-configuration`
 * (OpenID Discovery), so every probe order MCP clients use finds it.
 */
export function registerMetadataRoutes(app: Hono, context: ServerContext): void {
  const base = context.options.basePath;
  const paths = [
    `/.well-known/oauth-authorization-server${base}`,
    `/.well-known/openid-configuration${base}`,
    `${base}/.well-known/openid-configuration`,
  ];
  for (const path of new Set(paths)) {
    app.get(path, (c) => {
      c.header('cache-control', 'public, max-age=300');
      c.header('access-control-allow-origin', '*');
      return c.json(authorizationServerMetadata(context));
    });
  }
}
