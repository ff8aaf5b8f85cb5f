/**
 * Discovery for the grants without a browser (client credentials, the JWT bearer grant): the
 * authorization server of an MCP server from its protected-resource metadata (RFC 9728) and the
 * server's own metadata (RFC 8414), as the SDK does, with the checks that keep a token from going
 * elsewhere: the resource must cover the MCP server, the metadata's `issuer` must be the URL it
 * was found at (RFC 8414 §3.3), the grant must be offered, and `private_key_jwt` must be usable.
 * The SDK (1.24+) is imported lazily.
 *
 * @module
 */
import { assertPrivateKeyJwtSupported } from './client-auth.js';
import { SignInError } from './errors.js';
import type { FetchLike } from './fetch-like.js';

/** What discovery found. */
export interface DiscoveredServer {
  /** The authorization server's issuer (validated). */
  issuer: string;
  /** Its token endpoint. */
  tokenEndpoint: string;
  /** The MCP server's resource identifier, from its protected-resource metadata. */
  resource: string;
}

/** Options of {@link discoverAuthorizationServer}. */
export interface DiscoverServerOptions {
  /** The MCP server's URL. */
  serverUrl: string | URL;
  /** The grant the caller will use; refused when the server lists others only. */
  grantType: string;
  /** The `private_key_jwt` signing algorithm, when the caller authenticates with a key; checked against the server. */
  signingAlg?: string | undefined;
  /** Whether the caller authenticates with `private_key_jwt`. Default true. */
  privateKeyJwt?: boolean;
  /** The protected-resource metadata URL from a `WWW-Authenticate` challenge, if any. */
  resourceMetadataUrl?: URL | undefined;
  /** The fetch for the metadata requests. Default `globalThis.fetch`. */
  fetch?: FetchLike;
}

type SdkAuthModule = typeof import('@modelcontextprotocol/sdk/client/auth.js');
type SdkAuthUtils = typeof import('@modelcontextprotocol/sdk/shared/auth-utils.js');

async function loadSdk(grantType: string): Promise<{ auth: SdkAuthModule; utils: SdkAuthUtils }> {
  try {
    const [auth, utils] = await Promise.all([
      import('@modelcontextprotocol/sdk/client/auth.js'),
      import('@modelcontextprotocol/sdk/shared/auth-utils.js'),
    ]);
    return { auth, utils };
  } catch (error) {
    throw new SignInError(
      'ERR_SIGNIN_FAILED',
      `the ${grantType} grant needs @modelcontextprotocol/sdk (1.24 or later) for discovery: npm install @modelcontextprotocol/sdk`,
      { cause: error },
    );
  }
}

/**
 * Finds the authorization server of the MCP server at `serverUrl` and checks it (see the module).
 *
 * @throws SignInError `ERR_SIGNIN_SERVER_UNSUPPORTED` (no metadata, grant not offered),
 *   `ERR_SIGNIN_RESOURCE_MISMATCH`, `ERR_SIGNIN_ISSUER_MISMATCH`, `ERR_SIGNIN_AUTH_METHOD`.
 */
export async function discoverAuthorizationServer(options: DiscoverServerOptions): Promise<DiscoveredServer> {
  const sdk = await loadSdk(options.grantType);
  const info = await sdk.auth.discoverOAuthServerInfo(options.serverUrl, {
    ...(options.fetch === undefined ? {} : { fetchFn: options.fetch }),
    ...(options.resourceMetadataUrl === undefined
      ? {}
      : { resourceMetadataUrl: options.resourceMetadataUrl }),
  });
  if (info.resourceMetadata === undefined) {
    throw new SignInError(
      'ERR_SIGNIN_SERVER_UNSUPPORTED',
      `the MCP server at ${String(options.serverUrl)} publishes no protected-resource metadata (RFC 9728), so its authorization server cannot be found`,
    );
  }
  const configured = sdk.utils.resourceUrlFromServerUrl(options.serverUrl);
  const resource = info.resourceMetadata.resource;
  if (!sdk.utils.checkResourceAllowed({ requestedResource: configured, configuredResource: resource })) {
    throw new SignInError(
      'ERR_SIGNIN_RESOURCE_MISMATCH',
      `the protected-resource metadata names the resource ${resource}, which does not cover ${configured.href}`,
    );
  }
  const metadata = info.authorizationServerMetadata;
  if (metadata === undefined) {
    throw new SignInError(
      'ERR_SIGNIN_SERVER_UNSUPPORTED',
      `the authorization server ${info.authorizationServerUrl} publishes no metadata (RFC 8414)`,
    );
  }
  if (metadata.issuer !== info.authorizationServerUrl) {
    throw new SignInError(
      'ERR_SIGNIN_ISSUER_MISMATCH',
      `the authorization server metadata says issuer ${JSON.stringify(metadata.issuer)}, not ${JSON.stringify(info.authorizationServerUrl)} (RFC 8414 §3.3); its endpoints are not used`,
    );
  }
  const grants = metadata.grant_types_supported;
  if (grants !== undefined && !grants.includes(options.grantType)) {
    throw new SignInError(
      'ERR_SIGNIN_SERVER_UNSUPPORTED',
      `${metadata.issuer} does not offer the ${options.grantType} grant (grant_types_supported: ${grants.join(', ')}); ask its operator to allow this client`,
    );
  }
  if (options.privateKeyJwt !== false) assertPrivateKeyJwtSupported(metadata, options.signingAlg);
  return { issuer: metadata.issuer, tokenEndpoint: metadata.token_endpoint, resource };
}
