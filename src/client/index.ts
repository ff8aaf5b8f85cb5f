/**
 * `mcp-cimd/client`: sign in to MCP servers with a Client ID Metadata Document. An
 * `OAuthClientProvider` for `@modelcontextprotocol/sdk` that uses the document URL as `client_id`
 * (pre-registered credentials first, Dynamic Client Registration when the server has no CIMD),
 * a loopback callback on 127.0.0.1, `private_key_jwt`, token stores bound to (authorization
 * server, MCP server, client id), and `connect()` for a signed-in SDK `Client`. Node only.
 *
 * ```ts
 * import { connect, FileTokenStore } from 'mcp-cimd/client';
 *
 * const client = await connect('https://mcp.example.com/mcp', {
 *   clientMetadataUrl: 'https://app.example.com/oauth/client.json',
 *   store: new FileTokenStore(),
 * });
 * console.log(await client.listTools());
 * ```
 *
 * @module
 */

export {
  type AuthorizationUrlHandler,
  type AuthorizationUrlTarget,
  openerFor,
  openInBrowser,
  printAuthorizationUrl,
} from './browser.js';
export type { AuthorizationResponse, CallbackExpectations } from './callback-params.js';
export { type CimdProviderOptions, cimdProvider } from './cimd-provider.js';
export {
  type AssertionSignerLike,
  type AssertionSignerObject,
  type ClientAssertionSigner,
  JWT_BEARER_ASSERTION_TYPE,
  type TokenEndpointAuthMethod,
} from './client-auth.js';
export {
  type ClientConfig,
  type ClientConfigEntry,
  clientFor,
  clientOptionsFor,
  DEFAULT_CLIENT_CONFIG_FILE,
  loadClientConfig,
  type ParseClientConfigOptions,
  parseClientConfig,
  rotatingKeySetSigner,
  signerFor,
} from './client-config.js';
export {
  type ClientCredentialsFetch,
  type ClientCredentialsOptions,
  createClientCredentialsFetch,
} from './client-credentials.js';
export type { CimdAuthMethod } from './client-profile.js';
export { CONFIG_DIR_NAME, type ConfigDirEnvironment, defaultConfigDir } from './config-dir.js';
export { type ConnectOptions, connect } from './connect.js';
export { type ConnectSdk2Options, connectSdk2 } from './connect-sdk2.js';
export {
  createDpopClientFetch,
  createDpopProver,
  DPOP_KEY_STORE_KEY,
  type DpopClientFetchOptions,
  type DpopFetchLike,
  type DpopKeyPair,
  type DpopProofOptions,
  type DpopProver,
  dpopFetch,
  generateDpopKeyPair,
  isUseDpopNonce,
  loadDpopKeyPair,
} from './dpop.js';
export { createDpopSession, type DpopProofRequestLike, type DpopSessionLike } from './dpop-session.js';
export {
  type GrantClient,
  ID_JAG_TOKEN_TYPE,
  ID_TOKEN_TYPE,
  type IdJag,
  type IdJagRequest,
  type IdJagSignIn,
  type IdJagSignInOptions,
  type IdpClient,
  JWT_BEARER_GRANT_TYPE,
  type JwtBearerTokenRequest,
  requestIdJag,
  requestJwtBearerToken,
  signInWithIdJag,
  TOKEN_EXCHANGE_GRANT_TYPE,
} from './enterprise.js';
export { isSignInError, SignInError, type SignInErrorCode } from './errors.js';
export {
  CREDENTIALS_FILE_NAME,
  FileTokenStore,
  type FileTokenStoreOptions,
} from './file-token-store.js';
export {
  DEFAULT_CALLBACK_TIMEOUT_MS,
  type LoopbackListener,
  type LoopbackListenerOptions,
  startLoopbackListener,
} from './loopback.js';
export type {
  AuthorizationServerMetadataLike,
  ClientInformationLike,
  DiscoveryStateLike,
  InvalidationScope,
  OAuthTokensLike,
  RegistrationMetadataLike,
  ResourceMetadataLike,
} from './oauth-types.js';
export { CimdOAuthClientProvider } from './provider.js';
export type { CimdClientProviderOptions, PreRegisteredClient } from './provider-options.js';
export type { LoopbackHost } from './redirect.js';
export { createSignInFetch, type FetchLike, type SdkAuth, type SignInFetchOptions } from './sign-in-fetch.js';
export {
  MemoryTokenStore,
  registrationKey,
  sessionKey,
  type TokenStore,
  type TokensKeyParts,
  tokensKey,
} from './token-store.js';
