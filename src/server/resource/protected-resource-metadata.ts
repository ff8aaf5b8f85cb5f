/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728) for an MCP server: where it is published
 * (DISC-01) and what it says (MCP-RS-01: at least one authorization server).
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import { parseHttpsUrl } from './https-url.js';

/** The well-known path segment of protected-resource metadata (RFC 9728 §3). */
export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/**
 * The URL of the protected-resource metadata of `resource`: the well-known segment inserted
 * between the host and the path, the query kept (RFC 9728 §3.1, DISC-01). A bare origin gets no
 * suffix: `https://ex.com/public/mcp` gives `https://ex.com/.well-known/oauth-protected-resource/public/mcp`,
 * `https://ex.com/` gives `https://ex.com/.well-known/oauth-protected-resource`.
 *
 * @throws InvalidOptionError when `resource` is not an absolute http(s) URL or has a fragment.
 */
export function protectedResourceMetadataUrl(resource: string | URL): string {
  let url: URL;
  try {
    url = new URL(resource);
  } catch {
    throw new InvalidOptionError(`resource must be an absolute URL; got ${JSON.stringify(String(resource))}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidOptionError(`resource must be an http(s) URL; got ${url.href}`);
  }
  if (url.hash !== '' || String(resource).includes('#')) {
    throw new InvalidOptionError(`resource must not have a fragment; got ${String(resource)}`);
  }
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.origin}${PROTECTED_RESOURCE_WELL_KNOWN}${path}${url.search}`;
}

/** The path (no query) at which `resource`'s metadata is served, for routing. */
export function protectedResourceMetadataPath(resource: string | URL): string {
  return new URL(protectedResourceMetadataUrl(resource)).pathname;
}

/** The RFC 9728 §2 `bearer_methods_supported` values (RFC 6750 §2.1-2.3). */
const BEARER_METHODS: readonly string[] = ['header', 'body', 'query'];

/** The RFC 9728 §2 metadata this package publishes (wire names). */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported?: string[];
  bearer_methods_supported?: string[];
  resource_name?: string;
  resource_documentation?: string;
}

/** Options of {@link protectedResourceMetadata}. */
export interface ProtectedResourceMetadataOptions {
  /**
   * The resource identifier: the MCP server's canonical URL, exactly as clients use it (it is
   * published as given, since clients compare it with the URL they requested, DISC-03).
   */
  resource: string | URL;
  /** The issuer identifiers of the authorization servers clients may use; at least one (MCP-RS-01). */
  authorizationServers: readonly (string | URL)[];
  /** The scopes this resource understands; omitted when empty. */
  scopesSupported?: readonly string[];
  /** A human-readable name; omitted when empty. */
  resourceName?: string;
  /** A URL of documentation for developers; omitted when empty. */
  resourceDocumentation?: string | URL;
  /**
   * How a token may be presented (`header`, `body`, `query`). Default `['header']`, the only
   * method our middleware accepts; an empty array omits the member.
   */
  bearerMethodsSupported?: readonly string[];
}

/**
 * The protected-resource metadata JSON of an MCP server. Empty members are omitted (DISC-02).
 * The resource and every authorization server must be `https` (plain `http` only on loopback).
 *
 * @throws InvalidOptionError when the resource or an authorization server is not a usable URL,
 *   or no authorization server is given.
 */
export function protectedResourceMetadata(
  options: ProtectedResourceMetadataOptions,
): ProtectedResourceMetadata {
  const resource = String(options.resource);
  parseHttpsUrl(resource, 'resource');
  const servers = [...new Set((options.authorizationServers ?? []).map(String))];
  if (servers.length === 0) {
    throw new InvalidOptionError(
      'authorizationServers must name at least one authorization server (MCP-RS-01)',
    );
  }
  for (const server of servers) {
    const url = parseHttpsUrl(server, 'authorizationServers');
    if (url.search !== '') throw new InvalidOptionError(`an issuer identifier has no query; got ${server}`);
  }
  const metadata: ProtectedResourceMetadata = { resource, authorization_servers: servers };
  const scopes = [...new Set(options.scopesSupported ?? [])].filter((scope) => scope !== '');
  if (scopes.length > 0) metadata.scopes_supported = scopes;
  const methods = [...new Set(options.bearerMethodsSupported ?? ['header'])];
  const unknown = methods.find((method) => !BEARER_METHODS.includes(method));
  if (unknown !== undefined) {
    throw new InvalidOptionError(
      `bearerMethodsSupported values are ${BEARER_METHODS.join(', ')}; got ${unknown}`,
    );
  }
  if (methods.length > 0) metadata.bearer_methods_supported = methods;
  if (options.resourceName !== undefined && options.resourceName !== '') {
    metadata.resource_name = options.resourceName;
  }
  if (options.resourceDocumentation !== undefined && String(options.resourceDocumentation) !== '') {
    metadata.resource_documentation = String(options.resourceDocumentation);
  }
  return metadata;
}
