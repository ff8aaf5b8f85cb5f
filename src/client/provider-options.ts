/**
 * The options of the CIMD client provider, with their defaults and units.
 *
 * @module
 */
import type { SafeFetchOptions } from '../fetch/types.js';
import type { AuthorizationUrlTarget } from './browser.js';
import type { AssertionSignerLike, TokenEndpointAuthMethod } from './client-auth.js';
import type { CimdAuthMethod } from './client-profile.js';
import type { TokenStore } from './token-store.js';

/** Credentials an authorization server issued to this client out of band (MCP-C-16). */
export interface PreRegisteredClient {
  /** The `client_id` the server issued. */
  clientId: string;
  /** The secret, for `client_secret_basic` / `client_secret_post` clients. */
  clientSecret?: string;
  /**
   * How to authenticate at the token endpoint. Default: by what the server lists (Basic, then
   * Post when there is a secret, else `none`).
   */
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  /**
   * The authorization server the credentials belong to (its URL as the MCP server advertises
   * it). Recommended: the credentials are then never presented to another server. Without it
   * they are bound to the first server that accepts them in this session.
   */
  issuer?: string;
}

/** Options of {@link CimdOAuthClientProvider}. */
export interface CimdClientProviderOptions {
  /**
   * The MCP server this provider signs in to; its tokens are stored for, and sent to, this URL
   * only. Optional: without it the provider is bound to the first server it is used with
   * (`connect(serverUrl, { provider })`, or the SDK transport's URL through `auth()`), and refuses
   * any other one.
   */
  serverUrl?: string | URL;
  /**
   * The https URL of the client's metadata document: the `client_id` when the authorization
   * server supports CIMD. Checked at construction (CIMD-URL-01..09); an invalid URL is refused.
   */
  clientMetadataUrl: string;
  /**
   * The published document, when the caller has it. Otherwise, without {@link redirectUris},
   * `prepare()` fetches it once from `clientMetadataUrl` with the SSRF-safe fetcher.
   */
  document?: unknown;
  /**
   * The document's redirect URIs, for when the document is not fetched (it is not served, as in
   * the MCP conformance suite). Not together with {@link document}.
   */
  redirectUris?: readonly string[];
  /** With {@link redirectUris}: the document's `token_endpoint_auth_method`. Default `none`. */
  tokenEndpointAuthMethod?: CimdAuthMethod;
  /** With {@link redirectUris}: the `client_name` a Dynamic Client Registration sends. */
  clientName?: string;
  /** With {@link redirectUris}: the document's `scope` (the last-resort scope of a sign-in). */
  scope?: string;
  /** Signs `private_key_jwt` assertions; required when the document says `private_key_jwt`. */
  signer?: AssertionSignerLike;
  /** Pre-registered credentials; they win over CIMD and DCR (MCP-C-10). */
  preRegistered?: PreRegisteredClient;
  /** Where tokens and registrations are kept. Default: a new in-memory store. */
  store?: TokenStore;
  /**
   * Ask for DPoP-bound tokens (RFC 9449): a key per token store (generated on first use and kept
   * in it), a fresh proof with every token request and MCP request, and nonce retries. Use the
   * provider's `dpopFetch()` under the transport (`connect` does). Default `false`.
   */
  dpop?: boolean;
  /**
   * Where the authorization URL goes: `browser` (the default; falls back to printing), `print`
   * (a line on {@link messages}), or a function (headless use and tests).
   */
  onAuthorizationUrl?: AuthorizationUrlTarget;
  /** Where user-facing messages (the URL to open) are written. Default `process.stderr`. */
  messages?: NodeJS.WritableStream;
  /** How long a sign-in may take, in milliseconds. Default 300 000 (5 minutes). */
  callbackTimeoutMs?: number;
  /** A fixed callback port. Default: a random free port, chosen by `prepare()`. */
  callbackPort?: number;
  /**
   * LOUD opt-in, default `false`: accept a `clientMetadataUrl` on this machine or a private
   * network, and fetch the document from there. Local development only.
   */
  allowPrivateNetwork?: boolean;
  /** Options of the document fetch (trust anchors, deadline, ...). */
  fetchOptions?: Omit<SafeFetchOptions, 'allowPrivateNetwork'>;
  /**
   * Refuse to start a sign-in when the authorization server's metadata does not list `S256` in
   * `code_challenge_methods_supported` (MCP-C-25). Default `true`. Servers without any metadata
   * (the 2025-03-26 fallback) are not affected.
   */
  requirePkceMetadata?: boolean;
}
